//! The visits index behind the back office's 台账: written with each visit,
//! filled in for older records, paged by record number.

use super::helpers::World;
use panke::store::visits::VisitFilter;

fn demo() -> VisitFilter {
    VisitFilter { project: Some("demo".into()), ..VisitFilter::default() }
}

#[test]
fn pages_run_newest_first_by_record_number_without_gaps() {
    let mut world = World::new();
    world.visits(60);
    let first = world.store.visits(&demo(), None, 50).unwrap();
    assert_eq!(first.len(), 50);
    assert_eq!(first[0].seq, 60);
    let rest = world.store.visits(&demo(), Some(first[49].seq), 50).unwrap();
    assert_eq!(rest.len(), 10);
    assert_eq!(rest.last().unwrap().seq, 1);
    let other = VisitFilter { project: Some("other".into()), ..VisitFilter::default() };
    assert!(world.store.visits(&other, None, 50).unwrap().is_empty(), "another project's list is its own");
}

#[test]
fn records_from_before_the_index_are_filled_in_at_start() {
    let mut world = World::new();
    world.visits(5);
    world.raw().execute("DELETE FROM visit_index", []).unwrap();
    assert!(world.store.visits(&demo(), None, 50).unwrap().is_empty());
    assert_eq!(world.store.catch_up_visit_index().unwrap(), 5);
    assert_eq!(world.store.visits(&demo(), None, 50).unwrap().len(), 5);
    assert_eq!(world.store.catch_up_visit_index().unwrap(), 0, "once caught up, nothing to do");
}

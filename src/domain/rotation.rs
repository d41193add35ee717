//! The sales rotation board (轮排): whose turn it is to receive the next
//! customer. A pure function of the board; the store keeps it.
//!
//! - The turn goes to the present, free consultant who received a customer
//!   longest ago (never counts as longest; ties by id).
//! - Away for the day (轮空): passed over, and loses the turn — when the
//!   customer goes to someone behind them, they go to the back too.
//! - Busy with a customer (累计): passed over but keeps the place.
//! - Asked for by name (指定): serves without consuming a turn; nobody moves.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Present,
    Away,
    Busy,
}

impl Presence {
    pub fn code(self) -> &'static str {
        match self {
            Presence::Present => "present",
            Presence::Away => "away",
            Presence::Busy => "busy",
        }
    }

    pub fn parse(s: &str) -> Option<Presence> {
        [Presence::Present, Presence::Away, Presence::Busy].into_iter().find(|p| p.code() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seat {
    pub staff_id: i64,
    pub presence: Presence,
    /// When they last received a customer in turn (unix seconds; 0 never).
    pub last_turn: i64,
}

fn queue_key(s: &Seat) -> (i64, i64) {
    (s.last_turn, s.staff_id)
}

/// Whose turn it is.
pub fn propose(board: &[Seat]) -> Option<i64> {
    board.iter().filter(|s| s.presence == Presence::Present).min_by_key(|s| queue_key(s)).map(|s| s.staff_id)
}

/// Who goes to the back of the queue after `served` received a customer:
/// the served consultant (unless asked for by name) and every away
/// consultant who stood ahead of them.
pub fn after_visit(board: &[Seat], served: i64, requested_by_name: bool) -> Vec<i64> {
    if requested_by_name {
        return Vec::new();
    }
    let Some(seat) = board.iter().find(|s| s.staff_id == served) else {
        return vec![served];
    };
    let mut moved: Vec<i64> = board
        .iter()
        .filter(|s| s.presence == Presence::Away && queue_key(s) < queue_key(seat))
        .map(|s| s.staff_id)
        .collect();
    moved.push(served);
    moved
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seat(staff_id: i64, presence: Presence, last_turn: i64) -> Seat {
        Seat { staff_id, presence, last_turn }
    }

    #[test]
    fn the_longest_waiting_present_consultant_is_next() {
        let board = [seat(1, Presence::Present, 300), seat(2, Presence::Present, 100), seat(3, Presence::Present, 0)];
        assert_eq!(propose(&board), Some(3));
        assert_eq!(propose(&board[..2]), Some(2));
    }

    #[test]
    fn ties_go_to_the_lower_id() {
        assert_eq!(propose(&[seat(7, Presence::Present, 0), seat(4, Presence::Present, 0)]), Some(4));
    }

    #[test]
    fn away_is_passed_over_and_loses_the_turn() {
        let board = [seat(1, Presence::Away, 0), seat(2, Presence::Present, 50), seat(3, Presence::Present, 90)];
        assert_eq!(propose(&board), Some(2));
        assert_eq!(after_visit(&board, 2, false), vec![1, 2], "轮空: the away consultant goes to the back too");
    }

    #[test]
    fn busy_is_passed_over_but_keeps_the_place() {
        let board = [seat(1, Presence::Busy, 0), seat(2, Presence::Present, 50)];
        assert_eq!(propose(&board), Some(2));
        assert_eq!(after_visit(&board, 2, false), vec![2], "累计: the busy consultant keeps the turn");
        let free_again = [seat(1, Presence::Present, 0), seat(2, Presence::Present, 1000)];
        assert_eq!(propose(&free_again), Some(1));
    }

    #[test]
    fn asked_for_by_name_consumes_no_turn() {
        let board = [seat(1, Presence::Present, 0), seat(2, Presence::Present, 50)];
        assert!(after_visit(&board, 2, true).is_empty(), "指定");
        assert_eq!(propose(&board), Some(1));
    }

    #[test]
    fn nobody_present_means_no_proposal() {
        assert_eq!(propose(&[seat(1, Presence::Away, 0), seat(2, Presence::Busy, 0)]), None);
        assert_eq!(propose(&[]), None);
    }

    #[test]
    fn an_away_consultant_behind_the_served_one_keeps_the_place() {
        let board = [seat(1, Presence::Present, 10), seat(2, Presence::Away, 20)];
        assert_eq!(after_visit(&board, 1, false), vec![1]);
    }
}

//! The ledger as a Merkle log: RFC 9162 (Certificate Transparency v2)
//! hashing, inclusion proofs and consistency proofs. Pure: the tree's nodes
//! come from a caller-supplied lookup of *perfect* subtrees (the hash of the
//! 2^level leaves starting at index·2^level), which the store keeps in a
//! table and tests keep in memory.
//!
//! Leaf hash: SHA-256(0x00 ‖ data); node hash: SHA-256(0x01 ‖ left ‖ right).

use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree: SHA-256 of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The largest power of two smaller than `n` (n ≥ 2).
fn split(n: u64) -> u64 {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// The perfect subtrees stored for a tree: `node(level, index)` is the
/// hash of leaves `[index·2^level, (index+1)·2^level)`.
pub trait Nodes {
    type Error;
    fn node(&mut self, level: u32, index: u64) -> Result<Hash, Self::Error>;
}

/// MTH(D[start .. start+n]) for a range that the RFC's recursion visits
/// (its perfect parts are aligned).
fn subtree<N: Nodes>(nodes: &mut N, start: u64, n: u64) -> Result<Hash, N::Error> {
    if n.is_power_of_two() && start.is_multiple_of(n) {
        return nodes.node(n.trailing_zeros(), start / n);
    }
    let k = split(n);
    let left = subtree(nodes, start, k)?;
    let right = subtree(nodes, start + k, n - k)?;
    Ok(node_hash(&left, &right))
}

/// The root hash of the tree of the first `size` leaves.
pub fn root<N: Nodes>(nodes: &mut N, size: u64) -> Result<Hash, N::Error> {
    if size == 0 { Ok(empty_root()) } else { subtree(nodes, 0, size) }
}

/// PATH(m, D[0 .. size]): the audit path of leaf `index` (RFC 9162 2.1.3.1).
pub fn inclusion_proof<N: Nodes>(nodes: &mut N, index: u64, size: u64) -> Result<Vec<Hash>, N::Error> {
    let mut out = Vec::new();
    path(nodes, index, 0, size, &mut out)?;
    Ok(out)
}

fn path<N: Nodes>(nodes: &mut N, m: u64, start: u64, n: u64, out: &mut Vec<Hash>) -> Result<(), N::Error> {
    if n <= 1 {
        return Ok(());
    }
    let k = split(n);
    if m < k {
        path(nodes, m, start, k, out)?;
        out.push(subtree(nodes, start + k, n - k)?);
    } else {
        path(nodes, m - k, start + k, n - k, out)?;
        out.push(subtree(nodes, start, k)?);
    }
    Ok(())
}

/// PROOF(m, D[0 .. n]): that the tree of `n` leaves extends the tree of
/// the first `m` (RFC 9162 2.1.4.1).
pub fn consistency_proof<N: Nodes>(nodes: &mut N, m: u64, n: u64) -> Result<Vec<Hash>, N::Error> {
    let mut out = Vec::new();
    if 0 < m && m < n {
        subproof(nodes, m, 0, n, true, &mut out)?;
    }
    Ok(out)
}

fn subproof<N: Nodes>(
    nodes: &mut N,
    m: u64,
    start: u64,
    n: u64,
    complete: bool,
    out: &mut Vec<Hash>,
) -> Result<(), N::Error> {
    if m == n {
        if !complete {
            out.push(subtree(nodes, start, n)?);
        }
        return Ok(());
    }
    let k = split(n);
    if m <= k {
        subproof(nodes, m, start, k, complete, out)?;
        out.push(subtree(nodes, start + k, n - k)?);
    } else {
        subproof(nodes, m - k, start + k, n - k, false, out)?;
        out.push(subtree(nodes, start, k)?);
    }
    Ok(())
}

/// Verifies an inclusion proof (RFC 9162 2.1.3.2).
pub fn verify_inclusion(leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    snode == 0 && &r == root
}

/// Verifies a consistency proof between the tree of `size1` leaves with
/// `root1` and the tree of `size2` leaves with `root2` (RFC 9162 2.1.4.2).
pub fn verify_consistency(size1: u64, size2: u64, root1: &Hash, root2: &Hash, proof: &[Hash]) -> bool {
    if size1 > size2 {
        return false;
    }
    if size1 == size2 {
        return proof.is_empty() && root1 == root2;
    }
    if size1 == 0 {
        return proof.is_empty();
    }
    let mut proof = proof.to_vec();
    if size1.is_power_of_two() {
        proof.insert(0, *root1);
    }
    let Some((first, rest)) = proof.split_first() else { return false };
    let (mut fnode, mut snode) = (size1 - 1, size2 - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    &fr == root1 && &sr == root2 && snode == 0
}

/// A tree held in memory (tests, and `panke verify`, which rebuilds the
/// tree from the ledger's rows): every perfect subtree, level by level.
#[derive(Debug, Default, Clone)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    pub fn len(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a leaf hash; returns the perfect subtrees it completed, as
    /// `(level, index, hash)` from the leaf up (what a store must keep).
    pub fn push(&mut self, leaf: Hash) -> Vec<(u32, u64, Hash)> {
        let mut made = Vec::new();
        let (mut level, mut hash) = (0usize, leaf);
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            let index = self.levels[level].len() as u64;
            self.levels[level].push(hash);
            made.push((level as u32, index, hash));
            if index.is_multiple_of(2) {
                return made;
            }
            hash = node_hash(&self.levels[level][index as usize - 1], &hash);
            level += 1;
        }
    }
}

impl Nodes for MemoryTree {
    type Error = std::convert::Infallible;
    fn node(&mut self, level: u32, index: u64) -> Result<Hash, Self::Error> {
        // Only asked for nodes inside a tree the caller built; a missing
        // node is a caller's bug, answered with a hash that matches nothing.
        Ok(self.levels.get(level as usize).and_then(|l| l.get(index as usize)).copied().unwrap_or([0xff; 32]))
    }
}

/// Runs a proof function on a memory tree (its lookups cannot fail).
pub fn infallible<T>(r: Result<T, std::convert::Infallible>) -> T {
    match r {
        Ok(t) => t,
        Err(never) => match never {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use data_encoding::HEXLOWER;

    fn h(hex: &str) -> Hash {
        HEXLOWER.decode(hex.as_bytes()).unwrap().try_into().unwrap()
    }

    /// RFC 6962 / 9162 reference inputs (as in certificate-transparency-go).
    const LEAVES: [&str; 8] =
        ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];
    const ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    fn reference() -> MemoryTree {
        let mut t = MemoryTree::default();
        for l in LEAVES {
            t.push(leaf_hash(&HEXLOWER.decode(l.as_bytes()).unwrap()));
        }
        t
    }

    fn tree_of(n: u64) -> MemoryTree {
        let mut t = MemoryTree::default();
        for i in 0..n {
            t.push(leaf_hash(&i.to_be_bytes()));
        }
        t
    }

    #[test]
    fn roots_match_the_rfc_reference_vectors() {
        let mut t = reference();
        assert_eq!(empty_root(), h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        for (n, want) in ROOTS.iter().enumerate() {
            assert_eq!(infallible(root(&mut t, n as u64 + 1)), h(want), "size {}", n + 1);
        }
    }

    #[test]
    fn inclusion_proofs_match_the_rfc_reference_vectors() {
        let mut t = reference();
        let proof = infallible(inclusion_proof(&mut t, 0, 8));
        let want = [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ];
        assert_eq!(proof, want.map(h));
        let proof = infallible(inclusion_proof(&mut t, 5, 8));
        let want = [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ];
        assert_eq!(proof, want.map(h));
    }

    #[test]
    fn every_leaf_is_proved_in_every_tree_size_and_a_wrong_leaf_is_not() {
        let mut t = tree_of(37);
        for size in 1..=37 {
            let r = infallible(root(&mut t, size));
            for index in 0..size {
                let leaf = leaf_hash(&index.to_be_bytes());
                let proof = infallible(inclusion_proof(&mut t, index, size));
                assert!(verify_inclusion(&leaf, index, size, &proof, &r), "leaf {index} of {size}");
                let other = leaf_hash(b"not in the tree");
                assert!(!verify_inclusion(&other, index, size, &proof, &r));
            }
        }
    }

    #[test]
    fn every_tree_is_consistent_with_each_earlier_one_and_not_with_a_rewritten_one() {
        let mut t = tree_of(37);
        let mut forged = MemoryTree::default();
        for i in 0..37u64 {
            forged.push(leaf_hash(&(if i == 3 { 999 } else { i }).to_be_bytes()));
        }
        for m in 1..=37 {
            let r1 = infallible(root(&mut t, m));
            for n in m..=37 {
                let r2 = infallible(root(&mut t, n));
                let proof = infallible(consistency_proof(&mut t, m, n));
                assert!(verify_consistency(m, n, &r1, &r2, &proof), "{m} → {n}");
                // A history rewritten at leaf 3 cannot prove it extends the old tree.
                if m > 3 {
                    let forged_root = infallible(root(&mut forged, n));
                    let forged_proof = infallible(consistency_proof(&mut forged, m, n));
                    assert!(!verify_consistency(m, n, &r1, &forged_root, &forged_proof), "{m} → {n} forged");
                }
            }
        }
        // A tree never proves consistent with a larger earlier one (a cut).
        let (r10, r8) = (infallible(root(&mut t, 10)), infallible(root(&mut t, 8)));
        assert!(!verify_consistency(10, 8, &r10, &r8, &[]));
    }
}

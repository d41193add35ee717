//! Lists every file under `static/` for `src/web/assets.rs` (compiled into
//! the binary, served by panke itself) and derives the assets' version from
//! their contents, so a new deploy gets new URLs and no tablet keeps
//! running stale scripts from its cache.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn mime(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        _ => "text/plain; charset=utf-8",
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let static_dir = root.join("static");
    println!("cargo:rerun-if-changed=static");
    let mut files = Vec::new();
    walk(&static_dir, &mut files);
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let mut table = String::from("pub(crate) const FILES: &[(&str, &str, &[u8])] = &[\n");
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path.strip_prefix(&static_dir).expect("under static/").to_string_lossy().replace('\\', "/");
        name.hash(&mut hasher);
        std::fs::read(path).expect("readable static file").hash(&mut hasher);
        table.push_str(&format!(
            "    ({name:?}, {:?}, include_bytes!({:?})),\n",
            mime(path),
            path.display().to_string()
        ));
    }
    table.push_str("];\n");
    table.push_str(&format!("pub(crate) const VERSION: &str = \"{:012x}\";\n", hasher.finish() & 0xffff_ffff_ffff));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("assets.rs");
    std::fs::write(out, table).expect("OUT_DIR is writable");
}

//! `scripts/has-libclang.sh`, which `scripts/setup.sh` asks whether to install
//! libclang-dev: it must see exactly the files bindgen (clang-sys) loads. A machine with only
//! `libclang-cpp.so.14` (which llvm packages bring along) has no libclang, and the build of
//! unicorn-engine-sys fails there if setup skips the install.

use std::path::Path;
use std::process::Command;

fn detects(files: &[&str]) -> bool {
    let dir = std::env::temp_dir().join(format!(
        "tracejit-libclang-{}-{}",
        std::process::id(),
        files.join("+").replace('/', "_")
    ));
    std::fs::create_dir_all(&dir).unwrap();
    for f in files {
        std::fs::write(dir.join(f), b"").unwrap();
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/has-libclang.sh");
    let status = Command::new("bash")
        .arg(script)
        .arg(&dir)
        .env_remove("LIBCLANG_PATH")
        .status()
        .expect("bash runs");
    std::fs::remove_dir_all(&dir).unwrap();
    status.success()
}

#[test]
fn libclang_is_found_only_where_bindgen_would_load_it() {
    for files in [
        &["libclang.so"][..],
        &["libclang.so.1"],
        &["libclang-14.so"],
        &["libclang-14.so.1"],
        &["libclang-14.0.6.so"],
        &["libclang-cpp.so.14", "libclang.so.1"],
    ] {
        assert!(detects(files), "{files:?} holds a libclang bindgen loads");
    }
    for files in [
        &[][..],
        &["libclang-cpp.so.14"],
        &["libclang-cpp.so"],
        &["libclangBasic.a", "libclangAST.a"],
        &["libclang.a"],
    ] {
        assert!(!detects(files), "{files:?} holds no libclang bindgen loads");
    }
}

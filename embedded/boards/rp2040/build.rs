//! Puts `memory.x` where the linker finds it and passes the linker scripts:
//! cortex-m-rt's `link.x`, embassy-rp's `link-rp.x` (places BOOT2) and
//! defmt's `defmt.x`. Here rather than in rustflags, so that a RUSTFLAGS
//! override keeps them.

fn main() {
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
    std::fs::copy("memory.x", out.join("memory.x")).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=build.rs");
    for script in ["link.x", "link-rp.x", "defmt.x"] {
        println!("cargo:rustc-link-arg-bins=-T{script}");
    }
    println!("cargo:rustc-link-arg-bins=--nmagic");
}

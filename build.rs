//! espeak-ng (built by espeak-rs-sys for piper) calls into libsonic for speed changes
//! but does not link it; Debian's libsonic-dev provides the static library.
fn main() {
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_else(|_| "x86_64".into());
    println!("cargo:rustc-link-search=native=/usr/lib/{arch}-linux-gnu");
    println!("cargo:rustc-link-lib=static=sonic");
    println!("cargo:rerun-if-changed=build.rs");
    // Migrations are embedded with sqlx::migrate!; rebuild when they change.
    println!("cargo:rerun-if-changed=migrations");
}

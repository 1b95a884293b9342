//! Embeds a policy module at build time when `SCP_EMBED_POLICY` names one (an absolute path
//! to `annotated-policy.wasm`): `make install-checker` does so, so that the installed checker
//! runs anywhere without a module beside it. Without the variable, nothing is embedded.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(embedded_policy)");
    println!("cargo::rerun-if-env-changed=SCP_EMBED_POLICY");
    let Some(path) = std::env::var_os("SCP_EMBED_POLICY").filter(|p| !p.is_empty()) else {
        return;
    };
    let path = std::path::PathBuf::from(path);
    if !path.is_absolute() || !path.is_file() {
        panic!(
            "SCP_EMBED_POLICY must be the absolute path of a policy module file, not {}",
            path.display()
        );
    }
    println!("cargo::rerun-if-changed={}", path.display());
    println!("cargo::rustc-cfg=embedded_policy");
    println!("cargo::rustc-env=SCP_EMBEDDED_POLICY={}", path.display());
}

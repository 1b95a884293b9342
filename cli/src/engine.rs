//! The one wasmtime engine setup of both hosts (waPC, [`crate::host`], and WASI,
//! [`crate::wasi`]): epoch interruption with a ticker thread, so that a guest that loops fails
//! after a deadline instead of hanging, and an optional compilation cache
//! (`SCP_WASMTIME_CACHE=DIR`).

use std::path::PathBuf;
use std::time::Duration;

use wasmtime_provider::wasmtime;

/// How often the epoch ticker advances the engine's clock.
pub const EPOCH_TICK: Duration = Duration::from_millis(100);
/// A guest call that runs longer than this many ticks (30 s) is interrupted: a policy that
/// loops must fail a test, not hang it. `policy-server` protects itself the same way.
pub const DEADLINE_TICKS: u64 = 300;

/// An engine with epoch interruption (its ticker started) and, when `SCP_WASMTIME_CACHE`
/// names a directory, compiled code cached there.
pub fn engine() -> Result<wasmtime::Engine, String> {
    let mut config = wasmtime::Config::default();
    config.epoch_interruption(true);
    if let Some(dir) = std::env::var_os("SCP_WASMTIME_CACHE").filter(|d| !d.is_empty()) {
        let mut cache_config = wasmtime::CacheConfig::new();
        cache_config.with_directory(PathBuf::from(dir));
        let cache = wasmtime::Cache::new(cache_config).map_err(|e| e.to_string())?;
        config.cache(Some(cache));
    }
    let engine = wasmtime::Engine::new(&config).map_err(|e| e.to_string())?;
    start_epoch_ticker(&engine);
    Ok(engine)
}

/// The ticks of a deadline of about `timeout` (the resolution is [`EPOCH_TICK`]).
pub fn deadline_ticks(timeout: Duration) -> u64 {
    let ticks = timeout.as_millis().div_ceil(EPOCH_TICK.as_millis()).max(1);
    u64::try_from(ticks).unwrap_or(u64::MAX)
}

fn start_epoch_ticker(engine: &wasmtime::Engine) {
    let weak = engine.weak();
    let spawned = std::thread::Builder::new()
        .name("wasm-epoch".to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(EPOCH_TICK);
                match weak.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => break,
                }
            }
        });
    // Without a ticker the deadline never fires: calls still work, only without the timeout.
    drop(spawned);
}

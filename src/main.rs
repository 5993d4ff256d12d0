// The schema's root objects nest async-graphql futures deeper than rustc's
// default limit of 128 when the release profile lays them out.
#![recursion_limit = "256"]
use clap::Parser;
use licensedesk::config::Cli;

#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's start-up options (issue 12 §7, issue 14): a background thread
/// returns freed pages to the OS about a second after a burst (large
/// responses, argon2 buffers) instead of keeping them resident while idle.
/// jemalloc reads this C string through the `_rjem_malloc_conf` symbol (the
/// prefixed `malloc_conf` of tikv-jemallocator); `MALLOC_CONF`-style
/// overrides still work through `_RJEM_MALLOC_CONF`. The one unsafe item of
/// the code base: exporting a symbol is unsafe because its name could clash.
#[cfg(not(target_env = "msvc"))]
#[allow(unsafe_code, non_upper_case_globals)]
#[unsafe(export_name = "_rjem_malloc_conf")]
pub static malloc_conf: &[u8; 60] = b"background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0\0";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    licensedesk::cli::run(cli).await
}

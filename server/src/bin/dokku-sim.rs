//! `dokku-sim`: a drop-in `dokku` command backed by the simulated host (`dokku_sim::cli_main`).
//! Lives in the server package so the server's integration tests can run it.

fn main() {
    std::process::exit(dokku_sim::cli_main());
}

# dokku-pro-api as a container: for running the API as a Dokku app that drives its Dokku host
# over SSH (host.kind = "ssh"). The README's "Running it as a Dokku app" deploys it with
# `git push dokku`.
#
# Configuration: one TOML file, found through DOKKU_PRO_API_CONFIG, in the data directory
# /var/lib/dokku-pro-api, which is a mounted volume (dokku storage:mount) that also holds the
# SSH key, the host's known_hosts line and the server's state. Nothing secret is in the image
# or in its environment.

# Build: the release binary, compiled with the locked dependencies.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p dokku-pro-server --bin dokku-pro-api \
 && strip --strip-unneeded target/release/dokku-pro-api

# Run: the glibc the binary was built against (Debian 12, as in the build stage), the OpenSSH
# client the SSH executor drives, and a user that is not root.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssh-client \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/dokku-pro-api \
      --create-home --shell /usr/sbin/nologin dokku-pro-api
COPY --from=build /src/target/release/dokku-pro-api /usr/local/bin/dokku-pro-api
ENV DOKKU_PRO_API_CONFIG=/var/lib/dokku-pro-api/config.toml
USER 10001:10001
WORKDIR /var/lib/dokku-pro-api
EXPOSE 5000
ENTRYPOINT ["/usr/local/bin/dokku-pro-api"]
CMD ["serve"]

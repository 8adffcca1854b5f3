# A minimal image for this app: its binary from `ody build` (ody, the config and controllers in one file), the C
# libraries that binary links, and a non-root user. No shell, no package manager. Build without network:
#   ody build --image                                           # compiles and stages .image/
#   podman build --network=none --format docker -t my-app .     # or docker build; --format docker keeps HEALTHCHECK
# Run with a real secret (the default one is refused on 0.0.0.0):
#   podman run -p 9502:9502 -e WEBSOCKET_SECRET_KEY="$(openssl rand -hex 32)" my-app
# The runtime must mount /proc (every container runtime does): Bun aborts without it, before any ody code runs.
FROM scratch
COPY .image/rootfs/ /
COPY --chown=10001:10001 .image/storage/ /app/storage/
USER 10001:10001
WORKDIR /app
ENV WEBSOCKET_HOST=0.0.0.0 WEBSOCKET_PORT=9502
EXPOSE 9502
# Exec form: there is no shell. It GETs /health on WEBSOCKET_HOST:WEBSOCKET_PORT and exits 0 or 1.
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 CMD ["/app/ody", "healthcheck"]
ENTRYPOINT ["/app/ody"]
CMD ["websocket", "start"]

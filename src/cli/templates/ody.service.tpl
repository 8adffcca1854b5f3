# systemd unit for this app. Install (as root):
#   useradd --system --no-create-home ody && install -d -o ody /srv/__NAME__/storage
#   install -m 755 dist/__NAME__ /usr/local/bin/__NAME__ && install -m 600 -o ody .env /srv/__NAME__/.env
#   cp deploy/ody.service /etc/systemd/system/__NAME__.service && systemctl daemon-reload && systemctl enable --now __NAME__
[Unit]
Description=__NAME__ (ody WebSocket server)
After=network-online.target
Wants=network-online.target

[Service]
WorkingDirectory=/srv/__NAME__
ExecStart=/usr/local/bin/__NAME__ websocket start
ExecReload=/bin/kill -HUP $MAINPID
KillSignal=SIGTERM
TimeoutStopSec=20
Restart=on-failure
User=ody
Group=ody
# The secret and other settings come from /srv/__NAME__/.env (read by ody) or from here:
# Environment=WEBSOCKET_HOST=0.0.0.0
NoNewPrivileges=true
ProtectSystem=strict
ProtectHome=true
ReadWritePaths=/srv/__NAME__/storage
PrivateTmp=true

[Install]
WantedBy=multi-user.target

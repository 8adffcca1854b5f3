node_modules/
dist/
.image/
storage/
.env

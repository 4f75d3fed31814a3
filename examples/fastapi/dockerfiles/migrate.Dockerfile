# The migrate step: vmig's image with this service's migrations baked in.  Its
# entrypoint is `vmig`, its default command `up --wait`: wait for the database,
# take the migration lock, apply what is pending, exit 0.
#
# vmig-migrate is built from vmig's own migrate.Dockerfile (in the vmig
# repository: docker build -f migrate.Dockerfile -t vmig-migrate .); point
# VMIG_IMAGE at your registry's copy instead.  Build context: this folder.
ARG VMIG_IMAGE=vmig-migrate
FROM ${VMIG_IMAGE}
COPY vmig.yaml /app/vmig.yaml
COPY migrations /app/migrations

#!/usr/bin/env bash
# Builds the example services.
#
#   examples/build.sh bin     static host binaries in examples/bin/
#   examples/build.sh docker  the binaries plus the images
#                             wharf-example/productapi:latest and
#                             wharf-example/website:latest (FROM scratch; nothing is pulled)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
services=(productapi website)

usage() {
	echo "usage: $0 bin|docker" >&2
	exit 2
}

build_bins() {
	mkdir -p "$here/bin"
	local s
	for s in "${services[@]}"; do
		echo "building $here/bin/$s"
		(cd "$here" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "bin/$s" "./$s")
	done
}

build_images() {
	if ! command -v docker >/dev/null 2>&1; then
		echo "$0: docker is not installed" >&2
		exit 1
	fi
	# Without the buildx plugin, a recent docker CLI refuses to build with
	# BuildKit; the classic builder handles these FROM scratch images fine.
	if [[ -z "${DOCKER_BUILDKIT:-}" ]] && ! docker buildx version >/dev/null 2>&1; then
		export DOCKER_BUILDKIT=0
	fi
	local s ctx
	for s in "${services[@]}"; do
		# The build context holds only the binary (and the Dockerfile docker needs).
		ctx="$(mktemp -d)"
		cp "$here/bin/$s" "$ctx/$s"
		cp "$here/$s/Dockerfile" "$ctx/Dockerfile"
		echo "building image wharf-example/$s:latest"
		if ! docker build --quiet --tag "wharf-example/$s:latest" "$ctx"; then
			rm -rf "$ctx"
			echo "$0: docker build of wharf-example/$s failed" >&2
			exit 1
		fi
		rm -rf "$ctx"
	done
}

[[ $# -eq 1 ]] || usage
case "$1" in
bin)
	build_bins
	;;
docker)
	build_bins
	build_images
	;;
*)
	usage
	;;
esac

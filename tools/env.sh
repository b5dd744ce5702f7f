# shellcheck shell=bash disable=SC2034
# Paths shared by the tools/ scripts. Sourced, never run (so shellcheck cannot see their users).
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache="$repo/.cache"
venv="$cache/venv"
# The ansible-core versions the collection supports and tests (meta/runtime.yml): the main venv is 2.19's, each older
# one has a venv of its own built from tests/requirements/core-<version>.txt.
core_versions=(2.16 2.17 2.18 2.19)
core_oldest=${core_versions[0]}
core_newest=${core_versions[-1]}
core_venv() { if [ "$1" = "$core_newest" ]; then printf '%s\n' "$venv"; else printf '%s\n' "$cache/venv-core-$1"; fi; }
# The collections tree lives outside the git work tree: ansible-test walks up to the nearest .git and
# would then see only the files git tracks, not the copy of the collection.
collections_root=${NFS_COLLECTIONS_ROOT:-/var/cache/netfailover.standby/collections}
collection_dir="$collections_root/ansible_collections/netfailover/standby"
export ANSIBLE_COLLECTIONS_PATH="$collections_root"
lab_state=${NFS_LAB_STATE:-/var/lib/${NFLAB_PREFIX:-nflab}}

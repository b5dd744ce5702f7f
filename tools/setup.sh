#!/usr/bin/env bash
# Set up everything `make test`, `make demo` and `make bench` need on a fresh Debian 12 machine, as root.
# Idempotent: each step keeps a stamp in .cache/stamps holding the hash of its inputs and is skipped
# while the inputs are unchanged.
set -euo pipefail

# shellcheck source=tools/env.sh
. "$(dirname "$0")/env.sh"
stamps="$cache/stamps"
python=${NFLAB_PYTHON:-python3.11}
# community.libvirt comes from the community bundle on PyPI: Ansible Galaxy is not reachable.
ansible_bundle_version=12.3.0
mkdir -p "$stamps"

log() { printf 'setup: %s\n' "$*"; }

# Succeeds when the stamp for step $1 holds the hash $2; `mark` records it after the step worked.
fresh() { [ -f "$stamps/$1" ] && [ "$(cat "$stamps/$1")" = "$2" ]; }
mark() { printf '%s\n' "$2" >"$stamps/$1"; }
hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

install_debian_packages() {
  local wanted=() missing=() package
  mapfile -t wanted < <(grep -hv '^\s*#' "$repo/bindep-lab.txt" "$repo/lab/guest/host-packages.txt" 2>/dev/null | awk 'NF {print $1}')
  for package in "${wanted[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$package")
    fi
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    log "Debian packages present"
    return
  fi
  log "installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# A venv at $2 from the requirements file $3, kept while the hash of its inputs (the files after $3) holds stamp $1.
build_venv() {
  local stamp=$1 target=$2 requirements=$3 inputs
  shift 2
  inputs=$(hash_of "$@")
  # a venv whose interpreter is gone (a half-removed or copied venv) is rebuilt, not trusted by its stamp
  if fresh "$stamp" "$inputs" && [ -x "$target/bin/ansible-test" ] && "$target/bin/python" -c '' 2>/dev/null; then
    log "$target up to date"
    return
  fi
  log "building $target"
  rm -rf "$target"
  "$python" -m venv "$target"
  "$target/bin/pip" install -q --disable-pip-version-check --upgrade pip
  "$target/bin/pip" install -q --disable-pip-version-check -r "$requirements"
  mark "$stamp" "$inputs"
}

install_venvs() {
  # The main venv (the newest ansible-core and every tool), then one per older ansible-core
  # (tests/requirements/core-<version>.txt, which includes tests/requirements/units.txt).
  local version
  build_venv venv "$venv" "$repo/test-requirements.txt"
  for version in "${core_versions[@]}"; do
    [ "$version" = "$core_newest" ] && continue
    build_venv "venv-core-$version" "$(core_venv "$version")" "$repo/tests/requirements/core-$version.txt" \
      "$repo/tests/requirements/units.txt"
  done
}

install_community_libvirt() {
  local target="$collections_root/ansible_collections/community/libvirt" download="$cache/downloads"
  if fresh community.libvirt "$ansible_bundle_version" && [ -d "$target/plugins" ]; then
    log "community.libvirt present"
    return
  fi
  log "extracting community.libvirt from ansible==$ansible_bundle_version (PyPI)"
  mkdir -p "$download"
  "$venv/bin/pip" download -q --disable-pip-version-check --no-deps -d "$download" "ansible==$ansible_bundle_version"
  rm -rf "$target" "$download/extract"
  unzip -q "$download/ansible-$ansible_bundle_version-py3-none-any.whl" 'ansible_collections/community/libvirt/*' -d "$download/extract"
  mkdir -p "$(dirname "$target")"
  mv "$download/extract/ansible_collections/community/libvirt" "$target"
  rm -rf "$download/extract"
  mark community.libvirt "$ansible_bundle_version"
}

install_awx_collection() {
  # awx.awx (for awx/job_templates.yml, the AWX job templates kept as code) comes from the same wheel as
  # community.libvirt; its tests and images are left out (about 0.5 MB on disk).
  local target="$collections_root/ansible_collections/awx/awx" download="$cache/downloads"
  local wheel="$download/ansible-$ansible_bundle_version-py3-none-any.whl"
  if fresh awx.awx "$ansible_bundle_version" && [ -d "$target/plugins" ]; then
    log "awx.awx present"
    return
  fi
  log "extracting awx.awx from ansible==$ansible_bundle_version (PyPI)"
  mkdir -p "$download"
  [ -f "$wheel" ] || "$venv/bin/pip" download -q --disable-pip-version-check --no-deps -d "$download" "ansible==$ansible_bundle_version"
  rm -rf "$target" "$download/extract"
  unzip -q "$wheel" 'ansible_collections/awx/awx/*' -x 'ansible_collections/awx/awx/test/*' 'ansible_collections/awx/awx/images/*' \
    -d "$download/extract"
  mkdir -p "$(dirname "$target")"
  mv "$download/extract/ansible_collections/awx/awx" "$target"
  rm -rf "$download/extract"
  mark awx.awx "$ansible_bundle_version"
}

install_platform_trees() {
  # The lab's hypervisor platforms besides the machine's own Debian 12 packages (lab/platforms/*.txt): each is a tree
  # that lab/nflab.py lays over a hypervisor's /usr in its mount namespace. Rebuilt when its list changes.
  local list name inputs
  for list in "$repo"/lab/platforms/*.txt; do
    name=$(basename "$list" .txt)
    inputs=$(hash_of "$list" "$repo/lab/platforms/build-tree.sh")
    if fresh "platform-$name" "$inputs" && [ -x "$cache/platforms/$name/usr/sbin/libvirtd" ]; then
      log "platform $name present"
      continue
    fi
    log "building platform $name in $cache/platforms/$name"
    "$repo/lab/platforms/build-tree.sh" "$list" "$cache/platforms/$name"
    mark "platform-$name" "$inputs"
  done
}

install_ansible_test_bootstrap() {
  # ansible-test fetches get-pip.py from the internet for every venv it makes; give it a local one (each ansible-core
  # asks for its own pip version).
  local cache_dir=~/.ansible/test/cache pip_version version
  mkdir -p "$cache_dir"
  for version in "${core_versions[@]}"; do
    pip_version=$(grep -oP "pip='\\K[0-9.]+(?=')" "$(core_venv "$version")"/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py | head -n 1)
    install -m 0644 "$repo/tools/get_pip_offline.py" "$cache_dir/get_pip_${pip_version//./_}.py"
  done
}

install_debian_packages
install_venvs
install_community_libvirt
install_awx_collection
install_platform_trees
install_ansible_test_bootstrap
"$repo/tools/sync-collection.sh"
log "ready"

#!/usr/bin/env bash
# Prometheus 3, Alertmanager and the blackbox exporter from Debian's testing suite, unpacked into a
# project-local directory (never the system's: bookworm's Prometheus 2 stays where it is, and the
# tests run both). The packages hold static Go binaries, so `dpkg-deb -x` is all an install needs.
#
#   scripts/testing-tools.sh DEST    ->  DEST/usr/bin/{prometheus,promtool,amtool,...}
#
# apt-get reads a sources list and package lists of our own (-o Dir::...), so the machine's apt
# configuration is neither read for this nor changed by it.
set -euo pipefail
dest=${1:?usage: $0 DEST}
packages=(prometheus promtool prometheus-alertmanager prometheus-blackbox-exporter)
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || { echo "$0: $keyring missing (apt-get install debian-archive-keyring)" >&2; exit 1; }

state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/debs"
echo "deb [signed-by=$keyring] http://deb.debian.org/debian testing main" >"$state/sources.list"
apt=(-o "Dir::Etc::SourceList=$state/sources.list" -o Dir::Etc::SourceParts=/dev/null
     -o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache" -o Dir::State::Status=/dev/null
     -o APT::Sandbox::User=root -qq)
apt-get "${apt[@]}" update
(cd "$state/debs" && apt-get "${apt[@]}" download "${packages[@]}")

tmp="$dest.tmp.$$"
rm -rf "$tmp" && mkdir -p "$tmp"
for deb in "$state"/debs/*.deb; do
  dpkg-deb -x "$deb" "$tmp"
  dpkg-deb -f "$deb" Package Version | paste -sd' ' >>"$tmp/VERSIONS"
done
# Debian names the server binaries after the package; the tests look for the upstream names too.
ln -sf prometheus-alertmanager "$tmp/usr/bin/alertmanager"
ln -sf prometheus-blackbox-exporter "$tmp/usr/bin/blackbox_exporter"
rm -rf "$dest" && mv "$tmp" "$dest"
echo "installed into $dest:" && cat "$dest/VERSIONS"

#!/usr/bin/env bash
# cmake --install layout and cpack -G DEB: the package installs into a scratch root and its
# binary, man page and completions are where Debian expects them.
set -euo pipefail
build=$1
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cmake --install "$build" --prefix "$scratch/install" > /dev/null
for f in bin/dsselect share/man/man1/dsselect.1 share/bash-completion/completions/dsselect \
         share/zsh/vendor-completions/_dsselect share/fish/vendor_completions.d/dsselect.fish; do
    [[ -e $scratch/install/$f ]] || { echo "FAIL: cmake --install lacks $f"; exit 1; }
done
echo "ok: cmake --install layout"
(cd "$build" && cpack -G DEB -B "$scratch/package" > "$scratch/cpack.log") || { cat "$scratch/cpack.log"; exit 1; }
deb=$(ls "$scratch"/package/*.deb)
info=$(dpkg-deb --info "$deb")
grep -q "Package: dsselect" <<< "$info" || { echo "FAIL: package metadata"; echo "$info" | head -5; exit 1; }
dpkg -x "$deb" "$scratch/root"
version=$("$scratch/root/usr/bin/dsselect" --version)
[[ $version == "dsselect "* ]] || { echo "FAIL: installed --version: $version"; exit 1; }
result=$("$scratch/root/usr/bin/dsselect" recommend --scenario customer-service -o json)
grep -q '"kind": "Recommendation"' <<< "$result" || { echo "FAIL: installed recommend"; exit 1; }
[[ -e $scratch/root/usr/share/man/man1/dsselect.1 ]] || { echo "FAIL: man page not in the package"; exit 1; }
echo "ok: $(basename "$deb") installs with dpkg -x and runs"

#!/usr/bin/env bash
# Builds and installs replrec, replplay, logtool and libreplintercept.so under a prefix:
#   PREFIX/bin/{replrec,replplay,logtool}            the tools (the Swift runtime linked in)
#   PREFIX/lib/libreplintercept.so                   the layer (the tools find it in ../lib)
#   PREFIX/share/replrec/replrec-gdb.py              replplay --gdb's extension
#   PREFIX/share/man/man1/*.1                        manual pages
#   PREFIX/share/{bash-completion,zsh,fish}/...      shell completions
#   PREFIX/share/replrec/installed-files             what --uninstall removes
#
#   scripts/install.sh [--prefix DIR] [--debug | --bin-path DIR]
#   scripts/install.sh [--prefix DIR] --uninstall
# Default prefix /usr/local, release build; --bin-path installs what is already built there.
# bin/ and lib/ may be copied to a host without Swift: they need only libc, libstdc++, liblz4
# and libzstd.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=/usr/local
configuration=release
bin=
uninstall=false
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
        --debug) configuration=debug; shift ;;
        --bin-path) bin=${2:?--bin-path needs a directory}; shift 2 ;;
        --uninstall) uninstall=true; shift ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install: unknown option $1 (see --help)" >&2; exit 64 ;;
    esac
done
manifest=$prefix/share/replrec/installed-files
tools=(replrec replplay logtool)

if $uninstall; then
    [ -f "$manifest" ] || { echo "install: nothing installed under $prefix (no $manifest)" >&2; exit 1; }
    while IFS= read -r file; do rm -f -- "$file"; done < "$manifest"
    # The directories the install made, where that leaves them empty.
    while IFS= read -r file; do
        rmdir -p --ignore-fail-on-non-empty "$(dirname "$file")" 2>/dev/null || true
    done < "$manifest"
    rm -f -- "$manifest"
    rmdir -p --ignore-fail-on-non-empty "$prefix/share/replrec" 2>/dev/null || true
    echo "removed replrec, replplay, logtool, the layer, manual pages and completions from $prefix"
    exit 0
fi

[ -n "$bin" ] || bin=$(scripts/build.sh "$configuration")
# Manual pages come from the tools' own help, by argument-parser's generate-manual, built once
# from the checkout SwiftPM made (a scratch directory of its own: the main one may be locked).
checkout=$(swift build --show-bin-path | sed 's|/[^/]*/[^/]*$||')/checkouts/swift-argument-parser
[ -d "$checkout" ] || checkout=.build/checkouts/swift-argument-parser
swift build --package-path "$checkout" --scratch-path .build-manual --product generate-manual >/dev/null
generate_manual=$(swift build --package-path "$checkout" --scratch-path .build-manual --show-bin-path)/generate-manual

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
mkdir -p "$staging/man" "$staging/bash" "$staging/zsh" "$staging/fish"
for tool in "${tools[@]}"; do
    "$generate_manual" "$bin/$tool" --multi-page --section 1 --date "$(date +%Y-%m-%d)" -o "$staging/man"
    "$bin/$tool" --generate-completion-script bash > "$staging/bash/$tool"
    "$bin/$tool" --generate-completion-script zsh > "$staging/zsh/_$tool"
    "$bin/$tool" --generate-completion-script fish > "$staging/fish/$tool.fish"
done
rm -f "$staging"/man/*.help.1  # the help subcommand's page says nothing the tools' pages do not

install -d "$prefix/bin" "$prefix/lib" "$prefix/share/man/man1" "$prefix/share/replrec" \
    "$prefix/share/bash-completion/completions" "$prefix/share/zsh/site-functions" \
    "$prefix/share/fish/vendor_completions.d"
installed=()
put() {  # put MODE SOURCE DIRECTORY
    install -m "$1" "$2" "$3/"
    installed+=("$3/$(basename "$2")")
}
for tool in "${tools[@]}"; do
    put 0755 "$bin/$tool" "$prefix/bin"
    put 0644 "$staging/bash/$tool" "$prefix/share/bash-completion/completions"
    put 0644 "$staging/zsh/_$tool" "$prefix/share/zsh/site-functions"
    put 0644 "$staging/fish/$tool.fish" "$prefix/share/fish/vendor_completions.d"
done
put 0644 "$bin/libreplintercept.so" "$prefix/lib"
put 0644 Sources/Replayer/gdb/replrec-gdb.py "$prefix/share/replrec"
for page in "$staging"/man/*.1; do put 0644 "$page" "$prefix/share/man/man1"; done
printf '%s\n' "${installed[@]}" > "$manifest"
echo "installed replrec, replplay and logtool in $prefix/bin, libreplintercept.so in $prefix/lib, manual pages and bash, zsh and fish completions under $prefix/share"

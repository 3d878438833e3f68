#!/bin/sh
# Install this Supportline bundle (the folder this script is in, unpacked from
# supportline-<version>-linux-<machine>.tar.gz):
#
#   sudo ./install.sh        for every user: /opt/supportline/<version>, the command
#                            /usr/local/bin/supportline, the menu entry and icons in /usr/share
#   ./install.sh --user      for yourself: ~/.local/opt/supportline, ~/.local/bin, ~/.local/share
#   ./install.sh --uninstall (with --user for a personal install) removes the program, the menu
#                            entry, the icons and the command; never the settings, database or logs
#
# PREFIX, BINDIR and DATADIR override the three folders (a software-distribution tool, a test).
# Versions install side by side and PREFIX/current points at the one installed last: an upgrade is
# ./install.sh from the new version, a rollback ./install.sh from the old one (docs/install.md).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
version=$(cat "$here/VERSION")
mode=system
action=install
for arg in "$@"; do
    case "$arg" in
        --user) mode=user ;;
        --uninstall) action=uninstall ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
    esac
done
if [ "$mode" = system ] && [ "$(id -u)" != 0 ] && [ -z "${PREFIX:-}" ]; then
    echo "install.sh: installing for every user needs root (sudo ./install.sh), or use --user" >&2
    exit 2
fi
if [ "$mode" = user ]; then
    PREFIX=${PREFIX:-$HOME/.local/opt/supportline}
    BINDIR=${BINDIR:-$HOME/.local/bin}
    DATADIR=${DATADIR:-${XDG_DATA_HOME:-$HOME/.local/share}}
else
    PREFIX=${PREFIX:-/opt/supportline}
    BINDIR=${BINDIR:-/usr/local/bin}
    DATADIR=${DATADIR:-/usr/share}
fi

refresh_caches() {
    if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$DATADIR/icons/hicolor/index.theme" ]; then
        gtk-update-icon-cache -q -t "$DATADIR/icons/hicolor" || true
    fi
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$DATADIR/applications" || true
    fi
}

if [ "$action" = uninstall ]; then
    rm -f "$DATADIR/applications/supportline.desktop"
    find "$DATADIR/icons/hicolor" -path '*/apps/supportline.*' -delete 2>/dev/null || true
    if [ -L "$BINDIR/supportline" ]; then rm -f "$BINDIR/supportline"; fi
    # Only what this script installed: version folders (they hold VERSION) and the link.
    for installed in "$PREFIX"/*/VERSION; do
        [ -f "$installed" ] && rm -rf "$(dirname "$installed")"
    done
    if [ -L "$PREFIX/current" ]; then rm -f "$PREFIX/current"; fi
    rmdir "$PREFIX" 2>/dev/null || true
    refresh_caches
    echo "Supportline removed from $PREFIX (settings, databases and logs are kept)"
    exit 0
fi

mkdir -p "$PREFIX" "$BINDIR" "$DATADIR/applications" "$DATADIR/icons/hicolor"
target="$PREFIX/$version"
rm -rf "$target.partial"
cp -R "$here" "$target.partial"
rm -rf "$target"
mv "$target.partial" "$target"
ln -sfn "$version" "$PREFIX/current"

exe="$PREFIX/current/supportline"
sed -e "s|^Exec=.*|Exec=\"$exe\"|" -e "/^# install.sh writes/d" "$here/supportline.desktop" \
    > "$DATADIR/applications/supportline.desktop.partial"
printf 'TryExec=%s\n' "$exe" >> "$DATADIR/applications/supportline.desktop.partial"
mv "$DATADIR/applications/supportline.desktop.partial" "$DATADIR/applications/supportline.desktop"
cp -R "$here/icons/hicolor/." "$DATADIR/icons/hicolor/"
ln -sfn "$PREFIX/current/supportline-cli" "$BINDIR/supportline"
refresh_caches

echo "Supportline $version installed in $target"
echo "  menu entry: $DATADIR/applications/supportline.desktop"
echo "  command:    $BINDIR/supportline (supportline self-test checks the installation)"

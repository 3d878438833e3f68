#!/usr/bin/env bash
# Build Supportline as a desktop application with PyInstaller (build.spec, one folder):
#
#     packaging/build.sh            # PYTHON=/path/to/python to use another interpreter
#
# writes dist/supportline-<version>/ with the `supportline` (GUI) and `supportline-cli` executables,
# and on Linux adds to it the desktop entry, the icons and install.sh, and packs it as
# dist/supportline-<version>-linux-<machine>.tar.gz. PyInstaller comes with the dev extra
# (`pip install -e '.[dev]'`). Windows: docs/install.md (the same spec, from PowerShell).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-.venv/bin/python}"
if ! "$PYTHON" -c "import PyInstaller" 2>/dev/null; then
    echo "build.sh: PyInstaller is not installed for $PYTHON; install the dev extra: pip install -e '.[dev]'" >&2
    exit 2
fi
version="$("$PYTHON" -c 'import supportline; print(supportline.__version__)')"
name="supportline-$version"
started=$SECONDS

echo "==> PyInstaller: dist/$name"
"$PYTHON" -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller build.spec
bundle="dist/$name"
test -x "$bundle/supportline" && test -x "$bundle/supportline-cli"

if [ "$(uname -s)" = "Linux" ]; then
    echo "==> Linux: desktop entry, icons, install.sh"
    cp packaging/linux/supportline.desktop packaging/linux/install.sh "$bundle/"
    chmod 0755 "$bundle/install.sh"
    for png in resources/icons/supportline-*.png; do
        size="${png##*supportline-}"; size="${size%.png}"
        mkdir -p "$bundle/icons/hicolor/${size}x${size}/apps"
        cp "$png" "$bundle/icons/hicolor/${size}x${size}/apps/supportline.png"
    done
    mkdir -p "$bundle/icons/hicolor/scalable/apps"
    cp resources/icons/supportline.svg "$bundle/icons/hicolor/scalable/apps/supportline.svg"
    printf '%s\n' "$version" > "$bundle/VERSION"
    if command -v desktop-file-validate >/dev/null; then
        desktop-file-validate "$bundle/supportline.desktop"
    fi
    tarball="dist/$name-linux-$(uname -m).tar.gz"
    echo "==> $tarball"
    tar -C dist -czf "$tarball" "$name"
    echo "built $bundle and $tarball in $((SECONDS - started)) s"
else
    echo "built $bundle in $((SECONDS - started)) s"
fi

#!/usr/bin/env bash
# Usage: run.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
cflags=${CONSUMER_CFLAGS:-}
build=$1 source=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
libdir=$(ls -d "$prefix"/lib*/ | head -n 1)
libdir=${libdir%/}
[ -f "$libdir/libmonitorage.a" ] || { echo "static library not installed"; exit 1; }
soname=$(objdump -p "$libdir"/libmonitorage.so | awk '/SONAME/ {print $2}')
[ "$soname" = "libmonitorage.so.0" ] || { echo "unexpected SONAME $soname"; exit 1; }

export PKG_CONFIG_PATH=$libdir/pkgconfig
cc $cflags -o "$work/by_pkgconfig" "$source/consumer.c" $(pkg-config --cflags --libs monitorage)
LD_LIBRARY_PATH=$libdir "$work/by_pkgconfig"
cc $cflags -o "$work/by_pkgconfig_static" "$source/consumer.c" $(pkg-config --cflags monitorage) \
    "$libdir/libmonitorage.a" $(pkg-config --libs libpq libcurl jansson libsodium) -lpthread
"$work/by_pkgconfig_static"

cmake -S "$source/project" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" "-DCMAKE_C_FLAGS=$cflags" "-DCMAKE_EXE_LINKER_FLAGS=$cflags" >"$work/cmake.log"
cmake --build "$work/cmake" >"$work/build.log"
LD_LIBRARY_PATH=$libdir "$work/cmake/consumer_shared"
"$work/cmake/consumer_static"
echo "installed consumer: pkg-config and find_package, shared and static: ok"

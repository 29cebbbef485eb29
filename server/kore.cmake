# Whether the Kore REST module can be built here: the kore binary, its
# headers and build flags (Debian package kore) and cjose (libcjose-dev).
# Included by server/CMakeLists.txt and tests/server/CMakeLists.txt; sets
# MONITORAGE_SERVER_BUILDABLE and, when true, MONITORAGE_KORE_FLAGS and
# the imported target PkgConfig::CJOSE.
set(MONITORAGE_SERVER_BUILDABLE OFF)
find_program(KORE_EXECUTABLE kore)
find_path(KORE_INCLUDE_DIR kore/kore.h)
pkg_check_modules(CJOSE QUIET IMPORTED_TARGET cjose)
set(MONITORAGE_KORE_FEATURES_FILE /usr/share/kore/features)
if(KORE_EXECUTABLE AND KORE_INCLUDE_DIR AND CJOSE_FOUND AND EXISTS ${MONITORAGE_KORE_FEATURES_FILE})
    # Kore's struct layouts depend on these flags: the module must use the
    # same ones as the kore binary.
    file(READ ${MONITORAGE_KORE_FEATURES_FILE} MONITORAGE_KORE_FLAGS)
    string(STRIP "${MONITORAGE_KORE_FLAGS}" MONITORAGE_KORE_FLAGS)
    separate_arguments(MONITORAGE_KORE_FLAGS UNIX_COMMAND "${MONITORAGE_KORE_FLAGS}")
    set(MONITORAGE_SERVER_BUILDABLE ON)
endif()

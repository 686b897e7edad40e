#!/usr/bin/env bash
# The one set-up command. Finds a JDK >= 25, then:
#   ./build.sh run     build (no tests) and run the main job: the quickstart experiment on the JVM backend
#   ./build.sh test    build and run the whole test suite
#   ./build.sh build   build only (what ./tt needs)
# Extra arguments after `run` go to `./tt experiment experiments/specs/quickstart.yaml`.
set -euo pipefail
cd "$(dirname "$0")"

jdk_feature() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }

find_jdk() {
  local candidates=()
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  for d in /usr/lib/jvm/*; do candidates+=("$d"); done
  for d in "${candidates[@]}"; do
    if [ -x "$d/bin/javac" ]; then
      local v; v=$(jdk_feature "$d")
      if [ -n "$v" ] && [ "${v%%.*}" -ge 25 ] 2>/dev/null; then echo "$d"; return 0; fi
    fi
  done
  return 1
}

if ! JDK=$(find_jdk); then
  cat >&2 <<'MSG'
build.sh: no JDK 25 or newer found (looked at $JAVA_HOME, then /usr/lib/jvm/*).
Install one, for example Eclipse Temurin 25 (https://adoptium.net) or `apt-get install openjdk-25-jdk`,
then run again, or point JAVA_HOME at it: JAVA_HOME=/path/to/jdk-25 ./build.sh test
MSG
  exit 1
fi
export JAVA_HOME="$JDK"
export PATH="$JAVA_HOME/bin:$PATH"
command -v mvn >/dev/null || { echo "build.sh: Maven (mvn) is not on the PATH; install it (apt-get install maven)" >&2; exit 1; }

# The TornadoVM backend builds and tests when an SDK is found: TORNADOVM_HOME, else TORNADO_SDK,
# else the documented default /opt/tornadovm-sdk. TT_TORNADO=0 builds without it.
MVN=(mvn -B -ntp)
sdk=${TORNADOVM_HOME:-${TORNADO_SDK:-}}
[ -z "$sdk" ] && [ -f /opt/tornadovm-sdk/tornado-argfile ] && sdk=/opt/tornadovm-sdk
if [ -n "$sdk" ] && [ "${TT_TORNADO:-1}" = 1 ] && [ ! -f "$sdk/tornado-argfile" ]; then
  echo "build.sh: $sdk (from TORNADOVM_HOME or TORNADO_SDK) is not a TornadoVM SDK: it has no tornado-argfile; point the variable at the SDK, or set TT_TORNADO=0 to build without TornadoVM" >&2
  exit 2
fi
if [ -n "$sdk" ] && [ "${TT_TORNADO:-1}" = 1 ]; then
  export TORNADOVM_HOME="$sdk"
  MVN+=(-Ptornado)
  suites="TornadoVM SDK found at $sdk: running JVM and TornadoVM tests"
elif [ -n "$sdk" ]; then
  suites="TT_TORNADO=0: running JVM tests only (TornadoVM SDK at $sdk not used)"
else
  suites="no TornadoVM SDK (TORNADOVM_HOME unset and /opt/tornadovm-sdk absent): running JVM tests only"
fi

what=${1:-help}
shift || true
case "$what" in
  build) "${MVN[@]}" -q -DskipTests package ;;
  test)  echo "$suites"; "${MVN[@]}" package ;;
  run)   "${MVN[@]}" -q -DskipTests package && exec ./tt experiment experiments/specs/quickstart.yaml "$@" ;;
  *) echo "usage: ./build.sh run|test|build   (JDK: $JAVA_HOME)"; exit 2 ;;
esac

#!/usr/bin/env bash
# Assembles Apache JMeter 5.6.3 from Maven Central (the only download source reachable from CI
# and developer machines) into ${PEAKCAST_CACHE:-<repo>/.cache}/jmeter/apache-jmeter-5.6.3,
# laid out like the binary distribution:
#   ApacheJMeter (launcher)        -> bin/ApacheJMeter.jar
#   ApacheJMeter_config (unpacked) -> bin/** (jmeter.properties, saveservice.properties, report-template)
#   jorphan + third-party jars     -> lib/
#   other ApacheJMeter_* jars      -> lib/ext/
# Idempotent: a stamp file marks a complete install; a re-run only prints the path.
# Progress goes to stderr; the last line of stdout is JMETER_HOME.
set -euo pipefail

VERSION=5.6.3
# Plugins pinned so the build does not depend on whatever Maven's defaults resolve to.
DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.6.1
# Every module the binary distribution ships in lib/ext (5.6.3; 5.6.0/5.6.1 POMs are broken).
MODULES=(core components functions http java jdbc tcp ftp mail ldap jms junit mongodb native bolt)

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${PEAKCAST_CACHE:-$repo_root/.cache}
target=$cache/jmeter/apache-jmeter-$VERSION
stamp=$target/.peakcast-install-$VERSION

log() { echo "install-jmeter: $*" >&2; }

for tool in mvn java unzip; do
  command -v "$tool" >/dev/null || { log "'$tool' is required but not on PATH"; exit 1; }
done

mkdir -p "$cache/jmeter"
# Parallel test workers or helpers may call this at once: one assembles, the others wait.
exec 9>"$cache/jmeter/.install.lock"
flock 9

if [[ -f $stamp && -f $target/bin/ApacheJMeter.jar ]]; then
  echo "$target"
  exit 0
fi

work=$(mktemp -d "$cache/jmeter/.assemble.XXXXXX")
trap 'rm -rf "$work"' EXIT

deps=""
for m in ApacheJMeter ApacheJMeter_config jorphan "${MODULES[@]/#/ApacheJMeter_}"; do
  deps+="<dependency><groupId>org.apache.jmeter</groupId><artifactId>$m</artifactId><version>$VERSION</version></dependency>"
done
cat >"$work/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>peakcast.local</groupId>
  <artifactId>jmeter-assembly</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>$deps</dependencies>
</project>
EOF

log "resolving JMeter $VERSION and its dependencies with mvn (repository: $cache/m2)"
mvn -B -q -f "$work/pom.xml" -Dmaven.repo.local="$cache/m2" \
  "$DEPENDENCY_PLUGIN:copy-dependencies" \
  -DincludeScope=runtime -DoutputDirectory="$work/jars" >&2

home=$work/apache-jmeter-$VERSION
# lib/junit is scanned by the launcher and warned about when absent.
mkdir -p "$home/bin" "$home/lib/ext" "$home/lib/junit"
for jar in "$work"/jars/*.jar; do
  name=$(basename "$jar")
  case $name in
    ApacheJMeter-$VERSION.jar) cp "$jar" "$home/bin/ApacheJMeter.jar" ;;
    ApacheJMeter_config-$VERSION.jar) unzip -q -o "$jar" 'bin/*' -d "$home" ;;
    jorphan-$VERSION.jar) cp "$jar" "$home/lib/jorphan.jar" ;;
    ApacheJMeter_*-$VERSION.jar) cp "$jar" "$home/lib/ext/${name%-"$VERSION".jar}.jar" ;;
    *) cp "$jar" "$home/lib/" ;;
  esac
done

for required in bin/ApacheJMeter.jar bin/jmeter.properties bin/saveservice.properties \
  bin/report-template lib/jorphan.jar lib/ext/ApacheJMeter_core.jar lib/ext/ApacheJMeter_http.jar; do
  [[ -e $home/$required ]] || { log "assembled tree lacks $required"; exit 1; }
done

log "checking the launcher"
# Run from the scratch dir: the launcher writes jmeter.log into the working directory.
version_out=$(cd "$work" && java -jar "$home/bin/ApacheJMeter.jar" --version 2>&1) || {
  echo "$version_out" >&2
  log "'java -jar bin/ApacheJMeter.jar --version' failed"
  exit 1
}
grep -q "$VERSION" <<<"$version_out" || { echo "$version_out" >&2; log "launcher did not report $VERSION"; exit 1; }

touch "$home/.peakcast-install-$VERSION"
rm -rf "$target"
mv "$home" "$target"
log "JMeter $VERSION ready"
echo "$target"

# Sourced by the scripts in scripts/: the one place that installs Debian packages, from the one
# list in scripts/debian-packages.txt.
#
#   hb_debian_install PREFIX GROUP...
#
# Installs the packages of those groups that are missing: as root on Debian with apt-get (running
# `apt-get update` only when apt does not know a package or the install fails on stale lists).
# Elsewhere it prints, on stderr, each missing package with what needs it, and the exact
# `apt-get install` line to run. Returns 0 when nothing is missing afterwards, 1 otherwise; the
# caller decides whether it can go on.
#
#   hb_debian_packages GROUP...     prints the packages of those groups, one per line

hb_debian_list=${hb_debian_list:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/debian-packages.txt}

# "package<TAB>reason" for each package of the groups (any group when none is given)
hb_debian_entries() {
  awk -v want=" $* " '
    /^[[:space:]]*(#|$)/ { next }
    {
      n = split($2, groups, ",")
      hit = (want == "  ")
      for (i = 1; i <= n; i++) if (index(want, " " groups[i] " ")) hit = 1
      if (!hit) next
      why = $0
      sub(/^[^[:space:]]+[[:space:]]+[^[:space:]]+[[:space:]]+/, "", why)
      print $1 "\t" why
    }' "$hb_debian_list"
}

hb_debian_packages() { hb_debian_entries "$@" | cut -f1; }

# the given packages that dpkg does not have installed
hb_debian_missing() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || echo "$p"
  done
}

hb_debian_install() {
  local prefix=$1; shift
  local entries wanted missing
  entries=$(hb_debian_entries "$@")
  if [ -z "$entries" ]; then
    echo "$prefix: no Debian packages in groups '$*' of $hb_debian_list (a typo in the script?)" >&2
    return 1
  fi
  mapfile -t wanted < <(cut -f1 <<<"$entries")
  if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "$prefix: this is not a Debian system; install the equivalents of: ${wanted[*]} (see $hb_debian_list)" >&2
    return 1
  fi
  mapfile -t missing < <(hb_debian_missing "${wanted[@]}")
  [ ${#missing[@]} -eq 0 ] && return 0

  local line="apt-get install -y --no-install-recommends ${missing[*]}"
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "$prefix: these Debian packages are missing, and installing them needs root:" >&2
    local p
    for p in "${missing[@]}"; do
      echo "$prefix:   $p: $(awk -F'\t' -v p="$p" '$1 == p { print $2 }' <<<"$entries")" >&2
    done
    echo "$prefix: without them, what each line above names will not work. Install them with:" >&2
    echo "$prefix:   sudo $line" >&2
    return 1
  fi

  export DEBIAN_FRONTEND=noninteractive
  # apt must know every package (a fresh machine may have empty or old package lists)
  local unknown
  unknown=$(apt-cache policy "${missing[@]}" 2>/dev/null |
    awk -v want=${#missing[@]} '/^[^ ].*:$/ { known++ } /Candidate: \(none\)/ { none++ } END { print (known < want) + none }')
  if [ "$unknown" != 0 ]; then
    echo "$prefix: apt-get update (apt does not know all of: ${missing[*]}) ..." >&2
    apt-get update -qq >/dev/null 2>&1 || echo "$prefix: apt-get update failed; trying the install anyway" >&2
  fi
  echo "$prefix: installing Debian packages: ${missing[*]} ..." >&2
  local log
  log=$(mktemp)
  if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
    # old package lists name files the mirror no longer has: update once and try again
    echo "$prefix: apt-get install failed; apt-get update and one more try ..." >&2
    apt-get update -qq >/dev/null 2>&1 || true
    if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
      echo "$prefix: '$line' failed; its last lines:" >&2
      tail -n 15 "$log" >&2
      rm -f "$log"
      return 1
    fi
  fi
  rm -f "$log"
  mapfile -t missing < <(hb_debian_missing "${missing[@]}")
  if [ ${#missing[@]} -gt 0 ]; then
    echo "$prefix: apt-get reported success but these are still not installed: ${missing[*]}" >&2
    return 1
  fi
  return 0
}

# Sourced by the test scripts. flip_byte FILE OFFSET changes the byte at OFFSET
# (the lowest bit flipped), so the file always differs afterwards; writing a fixed
# byte would leave the file unchanged whenever that byte was already there.
flip_byte() {
  local file=$1 offset=$2 old
  old=$(od -An -tu1 -j "$offset" -N1 "$file" | tr -d ' ')
  [ -n "$old" ] || { echo "flip_byte: $file has no byte at $offset" >&2; return 1; }
  # shellcheck disable=SC2059
  printf "\\x$(printf %02x $((old ^ 1)))" | dd of="$file" bs=1 seek="$offset" conv=notrunc status=none
}

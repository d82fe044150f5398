#!/usr/bin/env bash
# The docs checker's own test: on the fixture (benchmarks/harness/check_docs_fixture,
# a repository in miniature: a sheet, its notes, key and Korean sheet, a bin
# folder and a stand-in run_all.sh) every check passes; each defect written
# into a copy of it makes the right check fail with the right message.
#   check_docs_test.sh CHECK_DOCS FIXTURE
set -euo pipefail

CHECK_DOCS=$1
FIXTURE=$2
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# A fresh copy of the fixture at $SCRATCH/$1; prints its path.
fresh_copy() {
  rm -rf "${SCRATCH:?}/$1"
  cp -a "$FIXTURE" "$SCRATCH/$1"
  echo "$SCRATCH/$1"
}

# Runs a check on ROOT; succeeds when its exit status is $1 and its output
# matches the ERE $2.  The rest: the checker's arguments after the action.
expect_check() {
  local status=$1 pattern=$2 action=$3 root=$4 got=0
  shift 4
  "$CHECK_DOCS" "$action" "$root" "$@" >"$SCRATCH/out" 2>&1 || got=$?
  if [[ $got -ne $status ]] || ! grep -Eq -- "$pattern" "$SCRATCH/out"; then
    sed 's/^/    /' "$SCRATCH/out" >&2
    fail "$action on $(basename "$root"): exit $got (expected $status), output should match '$pattern'"
  fi
}

check_good_fixture() {
  local root
  root=$(fresh_copy good)
  expect_check 0 '^ok   all 2 blocks of docs/labs/demo.md' blocks "$root" "$root/bin" docs/labs/demo.md
  expect_check 0 '^ok   all 1 blocks of docs/labs/answers/demo.md' blocks "$root" "$root/bin" docs/labs/answers/demo.md
  expect_check 0 'no ```sh block' blocks "$root" "$root/bin" docs/labs/demo-notes.md
  expect_check 0 '^ok   2 Korean pages' ko "$root"
  expect_check 0 '^ok   1 experiments' shape "$root"
  expect_check 0 '^ok   [0-9]+ relative links' links "$root"
  expect_check 0 '^ok   the labs. READMEs name all 3 packages' packages "$root"
  echo "ok   the fixture passes every check"
}

# Replaces, in page $2 of copy $1, the first line matching the ERE $3 by $4.
edit_page() {
  local page=$1/docs/labs/$2
  grep -Eq -- "$3" "$page" || fail "fixture: no line matches '$3' in $2"
  awk -v re="$3" -v by="$4" '!done && $0 ~ re { print by; done = 1; next } { print }' "$page" >"$page.new"
  mv "$page.new" "$page"
}

check_failing_blocks() {
  local root
  root=$(fresh_copy failing)
  edit_page "$root" demo.md '^demo --mode=seq$' 'false; demo --mode=seq'
  expect_check 1 '^FAIL docs/labs/demo.md:13: exit status 1' blocks "$root" "$root/bin" docs/labs/demo.md
  grep -q '^    false; demo --mode=seq$' "$SCRATCH/out" || fail "the failing block is not printed"

  root=$(fresh_copy pipefail)
  edit_page "$root" demo.md '^demo --mode=seq$' 'false | demo --mode=seq'
  expect_check 1 'exit status 1' blocks "$root" "$root/bin" docs/labs/demo.md

  root=$(fresh_copy expectation)
  edit_page "$root" demo.md '^<!-- expect: \^demo ran' '<!-- expect: ^goodbye$ -->'
  expect_check 1 'expectation not met: <!-- expect: \^goodbye\$ -->' blocks "$root" "$root/bin" docs/labs/demo.md
  grep -q '^    demo ran with --mode=seq$' "$SCRATCH/out" || fail "the block's output is not printed"

  root=$(fresh_copy leftover)
  edit_page "$root" demo.md '^demo --mode=seq$' 'sleep 30 & demo --mode=seq'
  expect_check 1 'left processes behind \([0-9]+ sleep 30\)' blocks "$root" "$root/bin" docs/labs/demo.md

  root=$(fresh_copy bash-fence)
  edit_page "$root" demo.md '^```text$' '```bash'
  expect_check 1 'demo.md:[0-9]+: ```bash block' blocks "$root" "$root/bin" docs/labs/demo.md

  root=$(fresh_copy orphan-expect)
  edit_page "$root" demo.md '^## Explain$' $'## Explain\n<!-- expect: x -->'
  expect_check 1 'an expect line that follows no ```sh block' blocks "$root" "$root/bin" docs/labs/demo.md

  root=$(fresh_copy recursion)
  edit_page "$root" demo.md '^demo --mode=seq$' './run_all.sh --test'
  expect_check 1 'run_all.sh --test would run the test suite inside itself' blocks "$root" "$root/bin" docs/labs/demo.md
  echo "ok   a failing command, a broken pipe, a missing expectation, a leftover process, a \`\`\`bash fence, a stray expectation and run_all.sh --test fail the blocks check"
}

check_failing_ko() {
  local root
  root=$(fresh_copy ko-differs)
  edit_page "$root" ko/demo.md '^demo --mode=seq$' 'demo --mode=threads'
  expect_check 1 'FAIL docs/labs/ko/demo.md: its ```sh blocks differ' ko "$root"

  root=$(fresh_copy ko-order)
  edit_page "$root" ko/demo.md '^\./run_all\.sh' 'demo --mode=seq'
  edit_page "$root" ko/demo.md '^demo --mode=seq$' './run_all.sh demo # the test appends --quick --runs 2'
  expect_check 1 'differ' ko "$root"

  root=$(fresh_copy ko-alone)
  cp "$root/docs/labs/ko/demo.md" "$root/docs/labs/ko/other.md"
  expect_check 1 'FAIL docs/labs/ko/other.md: no English page' ko "$root"
  echo "ok   a changed or reordered block and a Korean page without an English one fail the ko check"
}

check_failing_shape() {
  local root words
  root=$(fresh_copy headings)
  edit_page "$root" demo.md '^## Explain$' '## Observe'
  edit_page "$root" demo.md '^## Observe$' '## Explain'
  expect_check 1 'FAIL docs/labs/demo.md: its ## headings are' shape "$root"

  root=$(fresh_copy ko-headings)
  edit_page "$root" ko/demo.md '^## 더 해 보기$' '## Extend'
  expect_check 1 'FAIL docs/labs/ko/demo.md: its ## headings' shape "$root"

  root=$(fresh_copy long)
  words=$(printf 'word %.0s' {1..700})
  edit_page "$root" demo.md '^The program' "$words"
  expect_check 1 'FAIL docs/labs/demo.md: [0-9]+ words \(at most 650\)' shape "$root"

  root=$(fresh_copy many-commands)
  edit_page "$root" demo.md '^\(about 0 s' $'```sh\ntrue\n```\n```sh\ntrue\n```'
  expect_check 1 '4 ```sh blocks under .## Run.' shape "$root"

  root=$(fresh_copy no-notes)
  echo 'conclab_experiment(other)' >>"$root/benchmarks/CMakeLists.txt"
  expect_check 1 'FAIL docs/labs/other-notes.md: missing \(experiment other has no notes page\)' shape "$root"

  root=$(fresh_copy no-key)
  rm "$root/docs/labs/answers/demo.md"
  expect_check 1 'links answers/demo.md, which does not exist' shape "$root"

  root=$(fresh_copy no-ko-link)
  edit_page "$root" demo.md '^\[Notes\]' '[Notes](demo-notes.md) · [Answer key](answers/demo.md)'
  expect_check 1 'no link to ko/demo.md' shape "$root"

  root=$(fresh_copy dead-link)
  edit_page "$root" demo-notes.md '^A page' 'See [the missing page](missing.md).'
  expect_check 1 'demo-notes.md: links missing.md, which does not exist' links "$root"

  root=$(fresh_copy package)
  edit_page "$root" ko/README.md 'apt-get install' 'sudo apt-get install -y bash'
  expect_check 1 'FAIL docs/labs/ko/README.md: its apt-get line lacks coreutils' packages "$root"
  echo "ok   headings out of order, too many words or commands, an experiment without notes, missing or dead links and a package the README omits fail their checks"
}

check_good_fixture
check_failing_blocks
check_failing_ko
check_failing_shape

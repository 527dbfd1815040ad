#!/usr/bin/env bash
# obsgen's CI pipeline in plain shell: the same steps as examples/ci/github-actions.yml, for any CI system.
#
#   examples/ci/pipeline.sh pr     a pull request: make test, `obsgen build --check`, and the diff
#                                  `obsgen publish --dry-run` prints, written as a comment (and posted)
#   examples/ci/pipeline.sh main   a merge to main: make test, `obsgen build --check`, `obsgen publish`,
#                                  then a release tag vYYYY.MM.DD-buildN on the published commit
#
# Run it from the repo's root, on a machine that can write the Prometheus rules directory and the
# Alertmanager config file (the monitoring host, or one that mounts them) and reach the three servers.
#
# Environment:
#   PROMETHEUS_URL, PROMETHEUS_RULES_DIR     the Prometheus (with --web.enable-lifecycle) and the rules
#                                            directory its rule_files cover
#   ALERTMANAGER_URL, ALERTMANAGER_CONFIG    the Alertmanager and the config file it reads
#   GRAFANA_URL, GRAFANA_TOKEN_FILE          Grafana and a file holding a service-account token
#   GRAFANA_FOLDER                           the folder obsgen owns (default obsgen)
#   PROMETHEUS_WAIT                          how long to wait for changed rule groups' first evaluation (default 6m)
#   OBSGEN_SKIP_MAKE_TEST=1                  skip `make test` (another job ran it; obsgen's own tests set it)
#   PUBLISH_DIFF_FILE                        pr: where the comment is written (default publish-diff.md)
#   PR_NUMBER                                pr: post the comment to this pull request with the GitHub CLI
#                                            (`gh`, authenticated through GH_TOKEN)
#   OBSGEN_PUSH_TAGS=1                       main: push the release tag to TAG_REMOTE (default origin)
#
# Exit status: 0 done (for pr: whether or not something would change), otherwise the failing step's
# (obsgen: 1 stale out/ or a server that did not take the change, which publish rolled back; 2 usage).
set -euo pipefail

if [ -x .venv/bin/obsgen ]; then PATH="$PWD/.venv/bin:$PATH"; fi

tests() {
  if [ "${OBSGEN_SKIP_MAKE_TEST:-}" = 1 ]; then
    echo "pipeline: OBSGEN_SKIP_MAKE_TEST=1: skipping make test" >&2
  else
    make test
  fi
}

mode_pr() {
  tests
  obsgen build --check
  local comment="${PUBLISH_DIFF_FILE:-publish-diff.md}" status=0
  obsgen publish --dry-run \
    --prometheus-url "$PROMETHEUS_URL" --prometheus-rules-dir "$PROMETHEUS_RULES_DIR" \
    --prometheus-wait "${PROMETHEUS_WAIT:-6m}" \
    --alertmanager-url "$ALERTMANAGER_URL" --alertmanager-config "$ALERTMANAGER_CONFIG" \
    --grafana-url "$GRAFANA_URL" --grafana-token-file "$GRAFANA_TOKEN_FILE" \
    --grafana-folder "${GRAFANA_FOLDER:-obsgen}" >publish-diff.txt || status=$?
  cat publish-diff.txt
  case $status in
    0|3) ;;                 # 3: something would change, which is what a pull request is for
    *) exit "$status" ;;
  esac
  {
    echo "<!-- obsgen publish --dry-run -->"
    echo "**$(tail -n 1 publish-diff.txt)**"
    echo
    echo '```diff'
    sed -e '$d' -e 's/^  //' publish-diff.txt
    echo '```'
  } >"$comment"
  if [ -n "${PR_NUMBER:-}" ] && command -v gh >/dev/null; then
    gh pr comment "$PR_NUMBER" --body-file "$comment"
  else
    echo "pipeline: the comment is in $comment" >&2
  fi
}

release_tag() {
  # vYYYY.MM.DD-buildN: N counts the day's releases; a commit already tagged keeps its tag
  if git tag --points-at HEAD | grep -Eq '^v[0-9]{4}\.[0-9]{2}\.[0-9]{2}-build[0-9]+$'; then
    echo "pipeline: $(git rev-parse --short HEAD) is tagged already: $(git tag --points-at HEAD | tr '\n' ' ')" >&2
    return
  fi
  local day last tag
  day=$(date -u +%Y.%m.%d)
  last=$(git tag --list "v$day-build*" | sed "s/^v$day-build//" | { grep -E '^[0-9]+$' || true; } | sort -n | tail -n 1)
  tag="v$day-build$((${last:-0} + 1))"
  git -c user.name="${GIT_AUTHOR_NAME:-obsgen-ci}" -c user.email="${GIT_AUTHOR_EMAIL:-obsgen-ci@localhost}" \
    tag -a "$tag" -m "obsgen publish of $(git rev-parse HEAD)"
  echo "pipeline: tagged $tag" >&2
  if [ "${OBSGEN_PUSH_TAGS:-}" = 1 ]; then git push "${TAG_REMOTE:-origin}" "refs/tags/$tag"; fi
}

mode_main() {
  tests
  obsgen build --check
  obsgen publish \
    --prometheus-url "$PROMETHEUS_URL" --prometheus-rules-dir "$PROMETHEUS_RULES_DIR" \
    --prometheus-wait "${PROMETHEUS_WAIT:-6m}" \
    --alertmanager-url "$ALERTMANAGER_URL" --alertmanager-config "$ALERTMANAGER_CONFIG" \
    --grafana-url "$GRAFANA_URL" --grafana-token-file "$GRAFANA_TOKEN_FILE" \
    --grafana-folder "${GRAFANA_FOLDER:-obsgen}"
  release_tag
}

case "${1:-}" in
  pr) mode_pr ;;
  main) mode_main ;;
  *) echo "usage: $0 pr|main (see the comment at the top)" >&2; exit 2 ;;
esac

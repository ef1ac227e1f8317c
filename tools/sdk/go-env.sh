# Go environment for the Go SDK and the Go example (sourced, not run, by tools/sdk/gen-sdk.sh and
# the tests): a GOPATH and module cache under the project's cache folder, so modules the Go SDK
# needs (github.com/pulumi/pulumi/sdk/v3 and its dependencies, from the Go module proxy) are
# downloaded once per machine and reused; the toolchain stays the installed one. When the default
# module cache already holds a module, it is read from there first (a file:// proxy), so a machine
# that has built the Pulumi CLI does not download sdk/v3's dependencies again.
SECUREAPI_CACHE=${SECUREAPI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-secureapi}
_secureapi_default_modcache=$(env -u GOMODCACHE -u GOPATH go env GOMODCACHE 2>/dev/null || true)
export GOPATH=$SECUREAPI_CACHE/go
export GOMODCACHE=$GOPATH/pkg/mod
export GOFLAGS=-modcacherw GOTOOLCHAIN=local CGO_ENABLED=0
_secureapi_proxy=$(go env GOPROXY)
if [ -n "$_secureapi_default_modcache" ] && [ "$_secureapi_default_modcache" != "$GOMODCACHE" ] &&
    [ -d "$_secureapi_default_modcache/cache/download" ] && [[ $_secureapi_proxy != file://* ]]; then
    export GOPROXY="file://$_secureapi_default_modcache/cache/download,$_secureapi_proxy"
fi
unset _secureapi_default_modcache _secureapi_proxy

module github.com/enact-run/enact/plugins/examples/textstats

go 1.26

require github.com/extism/go-pdk v1.1.3

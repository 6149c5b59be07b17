module github.com/enact-run/enact/plugins/examples/textstats

go 1.26.0

require github.com/extism/go-pdk v1.1.3

require github.com/enact-run/enact v0.0.0

replace github.com/enact-run/enact => ../../..

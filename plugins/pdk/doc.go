// Package pdk is the small Go library for plugin authors who build Extism
// plugins for Enact with GOOS=wasip1. It gains the calls into the gate when
// the guest ABI lands; today an Enact plugin uses github.com/extism/go-pdk
// directly (see plugins/examples).
package pdk

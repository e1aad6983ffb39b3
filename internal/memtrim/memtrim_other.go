//go:build !linux

package memtrim

func dropExecMappings() {}

//go:build !race

package db

// slowdown scales the time bounds of tests under the race detector.
const slowdown = 1

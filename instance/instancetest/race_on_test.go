//go:build race

package instancetest

// slowdown scales the time bounds of tests under the race detector.
const slowdown = 10

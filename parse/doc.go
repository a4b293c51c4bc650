// Package parse reads command arguments as Redis does: integers as
// string2ll, doubles as string2d (strtod), long doubles as string2ld
// (strtold) for INCRBYFLOAT and HINCRBYFLOAT, scores and lexicographic
// range bounds. Each function accepts exactly what Redis accepts, so that
// titan answers the same error for the same argument.
package parse

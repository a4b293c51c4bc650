package db

import "errors"

// UserError is an error that is the reply itself: the command failed
// because of its input or the data it met, not because of the store. Its
// text is sent to the client as it is.
type UserError string

func (e UserError) Error() string { return string(e) }

// The errors whose texts Redis clients know.
var (
	ErrWrongType    = UserError("WRONGTYPE Operation against a key holding the wrong kind of value")
	ErrNotInteger   = UserError("ERR value is not an integer or out of range")
	ErrNotFloat     = UserError("ERR value is not a valid float")
	ErrOverflow     = UserError("ERR increment or decrement would overflow")
	ErrNoSuchKey    = UserError("ERR no such key")
	ErrIndexRange   = UserError("ERR index out of range")
	ErrNaN          = UserError("ERR increment would produce NaN or Infinity")
	ErrStringTooBig = UserError("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
	ErrHashNotInt   = UserError("ERR hash value is not an integer")
	ErrHashNotFloat = UserError("ERR hash value is not a float")
	ErrZSetNaN      = UserError("ERR resulting score is not a number (NaN)")
)

// ErrUndetermined means a commit may or may not have taken effect: the
// command must not be retried.
var ErrUndetermined = errors.New("commit result undetermined")

// IsUserError reports whether err is a reply error rather than a failure
// of the store.
func IsUserError(err error) bool {
	var u UserError
	return errors.As(err, &u)
}

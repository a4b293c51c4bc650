package scripting

// loadedLib is a function library loaded in one state.
type loadedLib struct{}

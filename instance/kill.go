package instance

import "context"

// Kill stops the instance the way a crash looks to its clients and its
// peers (tests): connections are cut without waiting for the commands in
// flight (those still waiting for the store are answered with an error
// or not at all), and the bus goes without leaving the registry, so peers
// see the instance go only when its lease ends. The store is left as a
// dying process leaves it: what committed stays committed.
func (in *Instance) Kill() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in.srv.Shutdown(ctx)
	in.Bus.Stop()
	if in.status != nil {
		in.status.Close()
	}
	in.stopBG()
	<-in.bgDone
	in.DB.Close()
}

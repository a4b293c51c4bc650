package command

// storeStatus is INFO's store_status: "ok", or "unhealthy: " and why
// commands fail in the store (db.StoreHealth).
func (s *Engine) storeStatus() string {
	if ok, why := s.db.StoreHealth(); !ok {
		return "unhealthy: " + why
	}
	return "ok"
}

"""Units of work: each public function is one transaction, committed before it returns."""

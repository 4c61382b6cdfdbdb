"""musicae studio: a local page and HTTP API to hear, see and steer the models (`musicae studio`)."""

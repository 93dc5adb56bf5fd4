"""The delivery engine (the queue and worker) and one module per kind it sends: email, SMS, webhooks."""

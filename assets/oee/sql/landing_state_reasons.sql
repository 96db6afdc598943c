SELECT reason_code, state, loss_category FROM landing.state_reason ORDER BY reason_code

-- wrk: the reference handler that only signs an access token of the same shape.
wrk.method = "POST"
wrk.path = "/bench/sign"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "grant_type=refresh_token&client_id=tcc_acme&refresh_token=x"

"""Marketing the customer controls: campaigns to segments of customers, sent by a background
job that re-checks every recipient at send time (P17, P21, P25)."""

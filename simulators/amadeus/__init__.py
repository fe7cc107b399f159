"""The Amadeus simulator: the OAuth2 token, Flight Offers Search and Price, the hotel list by
city and Hotel Search v3 (`app.py`; its hotel documents in `hotel_search.py`)."""

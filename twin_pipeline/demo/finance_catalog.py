"""The finance database's fixed rows: accounts, categories and merchants, and which categories
get a budget each month."""

from __future__ import annotations

ACCOUNTS = [
    # id, name, type, currency, institution
    (1, "mBank eKonto", "checking", "PLN", "mBank"),
    (2, "mBank Visa Credit", "credit_card", "PLN", "mBank"),
    (3, "Revolut EUR", "multi_currency", "EUR", "Revolut"),
    (4, "mBank eMax Savings", "savings", "PLN", "mBank"),
]
CHECKING, CREDIT, REVOLUT, SAVINGS = 1, 2, 3, 4

# key: (category, subcategory, type)
CATEGORIES = {
    "rent": ("Housing", "Rent", "Expense"),
    "groceries": ("Food", "Groceries", "Expense"),
    "eating_out": ("Food", "Eating Out", "Expense"),
    "coffee": ("Food", "Coffee & Snacks", "Expense"),
    "fuel": ("Transport", "Fuel", "Expense"),
    "public_transport": ("Transport", "Public Transport", "Expense"),
    "parking": ("Transport", "Parking", "Expense"),
    "pharmacy": ("Health", "Pharmacy", "Expense"),
    "streaming": ("Entertainment", "Streaming", "Expense"),
    "events": ("Entertainment", "Events", "Expense"),
    "clothes": ("Shopping", "Clothes", "Expense"),
    "household": ("Shopping", "Household", "Expense"),
    "electricity": ("Utilities", "Electricity", "Expense"),
    "internet": ("Utilities", "Internet", "Expense"),
    "phone": ("Utilities", "Phone", "Expense"),
    "travel": ("Travel", "Trips", "Expense"),
    "salary": ("Income", "Salary", "Income"),
    "freelance": ("Income", "Freelance", "Income"),
    "savings": ("Transfer", "Savings", "Transfer"),
    "gaming": ("Entertainment", "Gaming", "Expense"),  # inactive: no transactions, no budgets
    # Bills from the expense calendar (once a year, once a quarter): planned, not budgeted.
    "insurance": ("Insurance", "Car", "Expense"),
    "taxes": ("Taxes", "Income Tax", "Expense"),
}
CATEGORY_IDS = {key: i + 1 for i, key in enumerate(CATEGORIES)}
INACTIVE_CATEGORIES = {"gaming"}

# Expense budgets: alert_threshold, priority, budget_type. Ten of the eighteen expense
# categories are budgeted (small or fixed ones such as parking, pharmacy, subscriptions and
# phone are not, nor the planned insurance and tax), plus the salary and the savings
# transfer: twelve budgets a month.
BUDGET_RULES = {
    "rent": (100, "Critical", "Fixed"),
    "groceries": (90, "High", "Variable"),
    "eating_out": (80, "Medium", "Flexible"),
    "coffee": (80, "Low", "Flexible"),
    "fuel": (90, "Medium", "Variable"),
    "public_transport": (90, "Low", "Variable"),
    "clothes": (80, "Medium", "Flexible"),
    "household": (80, "Medium", "Variable"),
    "electricity": (90, "High", "Variable"),
    "travel": (90, "Medium", "Flexible"),
}
# Categories that may be deliberately under-budgeted in a "breach" month.
BREACHABLE = ("groceries", "eating_out", "coffee", "fuel", "household", "clothes", "electricity")

# key: (merchant_name, statement text templates); {n} is a store number.
MERCHANTS = {
    "biedronka": ("Biedronka", ["JMP S.A. BIEDRONKA 3391 KRAKOW", "JMP S.A. BIEDRONKA 5120 KRAKOW"]),
    "lidl": ("Lidl", ["LIDL KRAKOW PRADNICKA", "LIDL KRAKOW BUDRYKA"]),
    "carrefour": ("Carrefour", ["CARREFOUR HIPERMARKET KRAKOW", "CARREFOUR EXPRESS KRAKOW 2291"]),
    "auchan": ("Auchan", ["AUCHAN KRAKOW BRONOWICE"]),
    "zabka": ("Żabka", ["ZABKA Z4512 K.1 KRAKOW", "ZABKA Z7780 K.2 KRAKOW", "ZABKA Z1033 K.1 KRAKOW"]),
    "lewiatan": ("Lewiatan", ["LEWIATAN SKLEP 112 KRAKOW"]),
    "freshmarket": ("Freshmarket", ["FRESHMARKET KRAKOW KARMELICKA"]),
    "starbucks": ("Starbucks", ["STARBUCKS KRAKOW RYNEK", "STARBUCKS GALERIA KAZIMIERZ"]),
    "costa": ("Costa Coffee", ["COSTA COFFEE KRAKOW DWORZEC"]),
    "nero": ("Green Caffè Nero", ["GREEN CAFFE NERO KRAKOW"]),
    "bunkier": ("Kawiarnia Bunkier", ["BUNKIER CAFE KRAKOW"]),
    "lajkonik": ("Lajkonik", ["LAJKONIK PIEKARNIA KRAKOW", "LAJKONIK DWORZEC GLOWNY"]),
    "putka": ("Putka", ["PUTKA PIEKARNIA KRAKOW"]),
    "ruch": ("Ruch", ["RUCH KIOSK 0451 KRAKOW"]),
    "selecta": ("Selecta", ["SELECTA VENDING KRAKOW"]),
    "bistro": ("Bistro Smakołyk", ["BISTRO SMAKOLYK KRAKOW"]),
    "bar_mleczny": ("Bar Mleczny Pod Temidą", ["BAR MLECZNY POD TEMIDA KRAKOW"]),
    "pizza": ("Pizzeria Cyklop", ["PIZZERIA CYKLOP KRAKOW"]),
    "pod_aniolami": ("Restauracja Pod Aniołami", ["POD ANIOLAMI KRAKOW"]),
    "sushi": ("Sushi Kushi", ["SUSHI KUSHI KRAKOW"]),
    "pyszne": ("Pyszne.pl", ["PYSZNE.PL", "PYSZNE.PL ZAMOWIENIE"]),
    "wolt": ("Wolt", ["WOLT KRAKOW"]),
    "glovo": ("Glovo", ["GLOVO KRAKOW"]),
    "jakdojade": ("Jakdojade", ["JAKDOJADE BILET MPK KRAKOW"]),
    "mpk": ("MPK Kraków", ["BILETOMAT MPK KRAKOW"]),
    "bolt": ("Bolt", ["BOLT.EU/O/2404 TALLINN"]),
    "uber": ("Uber", ["UBER *TRIP HELP.UBER.COM"]),
    "orlen": ("Orlen", ["ORLEN STACJA NR 4021 KRAKOW"]),
    "bp": ("BP", ["BP MOP KRAKOW BALICE"]),
    "shell": ("Shell", ["SHELL 1123 KRAKOW"]),
    "circle_k": ("Circle K", ["CIRCLE K KRAKOW ZAKOPIANSKA"]),
    "skycash": ("SkyCash", ["SKYCASH PARKING KRAKOW"]),
    "spp": ("Strefa Płatnego Parkowania", ["SPP KRAKOW PARKOMAT"]),
    "gemini": ("Apteka Gemini", ["APTEKA GEMINI KRAKOW"]),
    "superpharm": ("Super-Pharm", ["SUPER-PHARM GALERIA KRAKOWSKA"]),
    "doz": ("Apteka DOZ", ["DOZ APTEKA KRAKOW"]),
    "netflix": ("Netflix", ["NETFLIX.COM"]),
    "spotify": ("Spotify", ["SPOTIFY P1F2A3B4C5"]),
    "youtube": ("YouTube Premium", ["GOOGLE *YOUTUBE PREMIUM"]),
    "hbo": ("Max", ["MAX.COM HBO"]),
    "cinema_city": ("Cinema City", ["CINEMA CITY BONARKA KRAKOW"]),
    "multikino": ("Multikino", ["MULTIKINO KRAKOW"]),
    "empik": ("Empik", ["EMPIK KRAKOW GALERIA"]),
    "ebilet": ("eBilet", ["EBILET.PL"]),
    "zara": ("Zara", ["ZARA KRAKOW GALERIA KRAKOWSKA"]),
    "hm": ("H&M", ["H&M KRAKOW BONARKA"]),
    "reserved": ("Reserved", ["RESERVED KRAKOW"]),
    "decathlon": ("Decathlon", ["DECATHLON KRAKOW"]),
    "zalando": ("Zalando", ["ZALANDO SE BERLIN"]),
    "rossmann": ("Rossmann", ["ROSSMANN 233 KRAKOW"]),
    "hebe": ("Hebe", ["HEBE KRAKOW"]),
    "pepco": ("Pepco", ["PEPCO 1187 KRAKOW"]),
    "ikea": ("IKEA", ["IKEA KRAKOW"]),
    "castorama": ("Castorama", ["CASTORAMA KRAKOW"]),
    "allegro": ("Allegro", ["ALLEGRO.PL", "ALLEGRO PAY"]),
    "tauron": ("Tauron", ["TAURON SPRZEDAZ SP. Z O.O."]),
    "orange": ("Orange Polska", ["ORANGE POLSKA S.A. FAKTURA"]),
    "proton": ("Proton", ["PROTON AG GENEVA"]),
    "play": ("Play", ["P4 SP. Z O.O. PLAY"]),
    "landlord": ("Wynajem mieszkania", ["PRZELEW CZYNSZ UL. KRUPNICZA 12/4"]),
    "employer": ("Vistula Software Sp. z o.o.", ["VISTULA SOFTWARE SP. Z O.O. WYNAGRODZENIE"]),
    "client_a": ("Nordic Apps AB", ["NORDIC APPS AB FAKTURA"]),
    "client_b": ("Studio Kreatywne Wawel", ["STUDIO KREATYWNE WAWEL FV"]),
    "ryanair": ("Ryanair", ["RYANAIR DAC"]),
    "wizz": ("Wizz Air", ["WIZZ AIR HUNGARY"]),
    "lot": ("LOT Polish Airlines", ["PLL LOT S.A."]),
    "booking": ("Booking.com", ["BOOKING.COM AMSTERDAM"]),
    "kleparz": ("Stary Kleparz", ["TARGOWISKO STARY KLEPARZ KRAKOW", "KLEPARZ STOISKO 14 KRAKOW"]),
    "kebab": ("Bafra Kebab", ["BAFRA KEBAB KRAKOW"]),
    "good_lood": ("Good Lood", ["GOOD LOOD KRAKOW PLAC WOLNICA"]),
    "zapiekanka": ("Endzior", ["ENDZIOR ZAPIEKANKI KRAKOW"]),
    "pzu": ("PZU", ["PZU SA POLISA OC/AC"]),
    "tax_office": ("Urząd Skarbowy", ["MIKRORACHUNEK PODATKOWY US KRAKOW"]),
}
MERCHANT_IDS = {key: i + 1 for i, key in enumerate(MERCHANTS)}

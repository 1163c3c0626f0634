// The mock shop's own words (navigation, headings) in a few languages, so that switching the
// simulated visitor to Arabic or Hebrew turns the whole page right-to-left as a real shop
// would; the campaigns' copy comes from the decisions, not from here.

const COPY = {
  en: { shop: 'Alpine Outfitters', nav: ['New in', 'Ski', 'Hiking', 'Sale'], cart: 'Cart', recs: 'Picked for you', more: 'Other placements', channels: 'Other channels', empty: 'Nothing to show here', dismiss: 'Close', footer: 'Mock shop page rendered from Attune decisions' },
  de: { shop: 'Alpine Outfitters', nav: ['Neu', 'Ski', 'Wandern', 'Sale'], cart: 'Warenkorb', recs: 'Für Sie ausgewählt', more: 'Weitere Platzierungen', channels: 'Weitere Kanäle', empty: 'Hier gibt es nichts zu zeigen', dismiss: 'Schließen', footer: 'Beispielshop, gerendert aus Attune-Entscheidungen' },
  fr: { shop: 'Alpine Outfitters', nav: ['Nouveautés', 'Ski', 'Randonnée', 'Soldes'], cart: 'Panier', recs: 'Sélectionné pour vous', more: 'Autres emplacements', channels: 'Autres canaux', empty: 'Rien à afficher ici', dismiss: 'Fermer', footer: 'Boutique fictive rendue à partir des décisions Attune' },
  es: { shop: 'Alpine Outfitters', nav: ['Novedades', 'Esquí', 'Senderismo', 'Rebajas'], cart: 'Carrito', recs: 'Elegido para ti', more: 'Otras ubicaciones', channels: 'Otros canales', empty: 'Nada que mostrar', dismiss: 'Cerrar', footer: 'Tienda de ejemplo creada con decisiones de Attune' },
  ar: { shop: 'ألباين أوتفيترز', nav: ['جديد', 'تزلج', 'مشي', 'تخفيضات'], cart: 'السلة', recs: 'مختارة لك', more: 'مواضع أخرى', channels: 'قنوات أخرى', empty: 'لا شيء للعرض هنا', dismiss: 'إغلاق', footer: 'صفحة متجر تجريبية من قرارات Attune' },
  he: { shop: 'אלפיין אאוטפיטרס', nav: ['חדש', 'סקי', 'טיולים', 'מבצעים'], cart: 'עגלה', recs: 'נבחר עבורך', more: 'מיקומים נוספים', channels: 'ערוצים נוספים', empty: 'אין מה להציג כאן', dismiss: 'סגירה', footer: 'דף חנות לדוגמה מהחלטות Attune' },
};

// The languages the mock shop itself is written in (its page locale is negotiated over these).
export const SHOP_LOCALES = Object.freeze(Object.keys(COPY));

export function shopCopy(locale) {
  const language = String(locale || 'en').toLowerCase().split('-')[0];
  return COPY[language] || COPY.en;
}

"""Training-pool life events about partners, friends and neighbours (hand-written; see ``_types``)."""

from __future__ import annotations

from rlver.profiles.builtin._types import LifeEvent
from rlver.profiles.builtin._types import make_event as _e
from rlver.profiles.schema import HiddenNeed as N

__all__ = ["SOCIAL_EVENTS"]

SOCIAL_EVENTS: tuple[LifeEvent, ...] = (
    _e(
        "partner-job-move",
        topic="{partner}'s job offer at the other end of the country",
        gist="{partner} wants us to move to the other end of the country for {p_pos} new job",
        vague="a big decision at home",
        story="Last month {partner} was offered {p_pos} dream job, leading a team at a company three hundred "
        "miles away, and has to accept by the end of the month. {partner} assumed they would go together and "
        "has already looked at flats. {name} would have to leave {pos} job, {pos} friends and the city {sub} "
        "has lived in for years, and start again where {sub} knows no one.",
        feelings="{Sub} feels torn and quietly resentful, then guilty for resenting {partner}'s good news.",
        conflict="{Sub} wants to support {partner}, but the move would cost {obj} almost everything {sub} "
        "has built, and {partner} talks as if it is already decided.",
        tried="{Sub} suggested a year of long distance; {partner} looked hurt and said 'so you don't want to "
        "come'.",
        now="They are being careful with each other, and the deadline is three weeks away.",
        angles={
            N.ANALYSIS: "{name} needs to weigh {partner}'s opportunity against {pos} own life honestly, "
            "without either choice being the 'selfish' one.",
            N.ADVICE: "{name} wants practical options: ways to test the move, negotiate the timing, or keep "
            "{pos} own work going.",
            N.EMPATHY: "{name} needs someone to understand being happy for {partner} and grieving {pos} own "
            "life at the same time.",
            N.SELF_GROWTH: "{name} wants to understand why {sub} finds it so hard to say what {sub} wants in "
            "the relationship.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand why {partner} took {pos} agreement for granted.",
        },
        requires="employed partnered",
        min_age=25,
        max_age=55,
    ),
    _e(
        "breakup-six-years",
        topic="the break-up with Marco after six years",
        gist="Marco and I broke up after six years and I keep waking up thinking it didn't happen",
        vague="a break-up, it's fine",
        story="Six weeks ago {name}'s partner of six years, Marco, said over breakfast that {he} 'didn't "
        "feel it any more' and had been unhappy 'for a long time'. {name} moved out within a fortnight. They "
        "had booked a holiday to Lisbon for next month, which {name} has not cancelled. Last weekend Marco "
        "posted photos from a party, smiling, with people {name} had never met.",
        feelings="{Sub} feels hollow and humiliated, and keeps asking {refl} what {sub} missed.",
        conflict="{Sub} wants to understand and move on, but still checks Marco's posts at night and "
        "half-hopes {he} will call.",
        tried="{Sub} deleted Marco's number and then got it back from a friend; {sub} went on one date and "
        "left early.",
        now="{Sub} still has the Lisbon booking and cannot bring {refl} to cancel it.",
        angles={
            N.EMPATHY: "{name} needs someone to feel what it is to have six years end over breakfast, not to "
            "hear 'plenty more fish'.",
            N.VENTING: "{name} needs to pour out the whole story, the breakfast, the party photos, without "
            "being hurried to move on.",
            N.SELF_GROWTH: "{name} wants to understand what {sub} missed, and what {sub} might do "
            "differently next time.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand how Marco could be unhappy 'for a long time' "
            "and say nothing.",
        },
        requires="single",
        min_age=24,
        max_age=50,
    ),
    _e(
        "forgotten-anniversary",
        topic="{partner} forgetting our anniversary",
        gist="{partner} forgot our tenth anniversary and spent the dinner answering emails",
        vague="stuff at home",
        story="Last Thursday was {name} and {partner}'s tenth anniversary. {name} booked the restaurant "
        "where they had their first date; {partner} arrived forty minutes late, straight from work, having "
        "forgotten completely, and spent the meal answering emails. It was not the first time: {partner} "
        "missed {name}'s birthday dinner in the spring for a work call. On the way home {partner} said "
        "{p_sub} was 'just stretched at the moment'.",
        feelings="{Sub} feels invisible and stupid for caring, and a coldness {sub} doesn't like is creeping "
        "in.",
        conflict="{Sub} knows {partner} is under real pressure, but ten years deserved one evening, and "
        "{sub} is tired of being the one who remembers.",
        tried="{Sub} has said it's fine, which it isn't, and stopped planning anything.",
        now="{Sub} is polite and distant, and {partner} hasn't noticed.",
        angles={
            N.VENTING: "{name} needs to let out the hurt about the restaurant and the emails without being "
            "told {partner} is under pressure.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand what is going on for {partner} and why {p_sub} "
            "keeps choosing work.",
            N.VALIDATION: "{name} is sure {sub} has a right to be hurt and wants to hear that ten years "
            "deserve one evening.",
            N.EMPATHY: "{name} needs someone to understand how lonely it is to feel invisible to the person "
            "closest to {obj}.",
            N.SELF_GROWTH: "{name} wants to understand why {sub} says 'it's fine' when it isn't, and what "
            "that costs.",
        },
        requires="partnered",
        min_age=32,
        max_age=50,
    ),
    _e(
        "ghosted",
        topic="being ghosted by Aidan after three months",
        gist="someone I'd been seeing for three months just stopped replying, no explanation",
        vague="a dating thing",
        story="{name} met Aidan on an app in the spring, and for three months they saw each other twice a "
        "week; {he} met {name}'s friends and talked about a trip to the Lake District in the autumn. "
        "Eighteen days ago Aidan stopped replying. {His} last message was a photo of a dog captioned "
        "'thought you'd like this'. {name} can see from {his} stories that {he} is fine, out with friends "
        "and posting gig tickets.",
        feelings="{Sub} feels stupid and disposable, and keeps rereading old messages for clues.",
        conflict="{Sub} wants an explanation, but messaging again feels humiliating, and part of {obj} "
        "wonders whether it was something {sub} did.",
        tried="{Sub} sent one light 'hey, all ok?' nine days ago; it was read and not answered.",
        now="{Sub} has deleted the app and still checks whether Aidan has viewed {pos} stories.",
        angles={
            N.UNDERSTAND_OTHERS: "{name} wants to understand why someone would vanish after three good "
            "months instead of just saying it.",
            N.SELF_GROWTH: "{name} wonders whether {sub} keeps choosing people who disappear, and wants to "
            "look at that.",
            N.VENTING: "{name} needs to rant about the dog photo and the silence without being told it is "
            "Aidan's loss.",
            N.VALIDATION: "{name} is sure {sub} did nothing to deserve being ghosted and wants to hear it.",
        },
        requires="single",
        min_age=20,
        max_age=45,
    ),
    _e(
        "secret-debt",
        topic="finding out about {partner}'s secret credit cards",
        gist="I found out {partner} has been hiding eighteen thousand in credit-card debt from me",
        vague="money stuff at home",
        story="Three weeks ago a letter from a debt-collection agency arrived addressed to {partner}. {name} "
        "opened it by mistake and found that {partner} owed eighteen thousand on four credit cards, built up "
        "over two years of online shopping and 'covering things'. {partner} cried, apologised and said "
        "{p_sub} had been too ashamed to tell {obj}. They had been saving together, and {name} had been "
        "putting in half of what {sub} earns every month.",
        feelings="{Sub} feels betrayed and foolish, and frightened about money for the first time in years.",
        conflict="{Sub} loves {partner} and wants to help, but cannot tell whether the lying is over or what "
        "else {sub} does not know.",
        tried="{Sub} asked to see every statement; {partner} showed three of the four and said the last was "
        "'the same'.",
        now="{Sub} has moved {pos} savings into {pos} own name and lies awake doing sums.",
        angles={
            N.ANALYSIS: "{name} needs to think through staying and helping against protecting {refl}, and "
            "what the missing statement might mean.",
            N.ADVICE: "{name} wants practical steps: handling the debt, protecting {pos} own money, and "
            "rules that would actually hold.",
            N.VALIDATION: "{name} is sure {sub} was right to demand every statement and wants to hear that "
            "{sub} is not being controlling.",
            N.EMPATHY: "{name} needs someone to feel the betrayal and the fear, not to hear that money "
            "trouble happens to everyone.",
        },
        requires="partnered",
        excludes="retired",
        min_age=25,
        max_age=60,
    ),
    _e(
        "partner-no-children",
        topic="{partner} saying {p_sub} might never want children",
        gist="{partner} told me {p_sub} might never want kids, after five years of 'not yet'",
        vague="a conversation at home",
        story="For five years, whenever {name} mentioned children, {partner} said 'not yet' or 'after the "
        "next promotion'. Last Saturday, driving home from a friend's baby shower, {name} pushed for a real "
        "answer, and {partner} said quietly that {p_sub} was not sure {p_sub} ever wanted them. {name} is "
        "{age} and has always pictured a family.",
        feelings="{Sub} feels winded, as if the future {sub} was walking towards has been taken away.",
        conflict="{Sub} loves {partner} and the life they share, but staying might mean never having "
        "children, and leaving means losing {partner}.",
        tried="They have had two long, careful conversations that ended in tears; {partner} suggested "
        "couples counselling.",
        now="{Sub} tears up at baby clothes in shop windows and has told no one.",
        angles={
            N.ANALYSIS: "{name} needs to weigh {pos} life with {partner} against the family {sub} wants, "
            "honestly and without rushing.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand why {partner} said 'not yet' for five years "
            "instead of the truth, and what {p_sub} is afraid of.",
            N.EMPATHY: "{name} needs someone to feel the loss of a future {sub} had been counting on.",
            N.SELF_GROWTH: "{name} wants to understand why {sub} accepted 'not yet' for so long without "
            "pushing.",
        },
        requires="partnered",
        excludes="parent",
        min_age=28,
        max_age=40,
    ),
    _e(
        "missed-birthday",
        topic="Steph skipping my birthday party",
        gist="my best friend skipped my birthday party with a 'migraine' and then posted photos from another "
        "party",
        vague="a friend thing",
        story="{name} and Steph have been best friends since they were eleven. Two weeks ago {name} threw "
        "{pos} birthday party in the back room of a pub, the first party {sub} had thrown in years. Steph "
        "texted an hour before that {she} had a migraine. That night {she} posted photos from a colleague's "
        "housewarming, glass in hand. When {name} mentioned it, Steph said {she} 'felt better later' and "
        "that {name} was 'keeping score'.",
        feelings="{Sub} feels discarded and embarrassed, and angry at being made to feel petty.",
        conflict="Steph is {pos} oldest friend; letting it go feels like a lie, and pushing it might end the "
        "friendship.",
        tried="{Sub} sent one honest message; Steph replied with a heart emoji and a meme.",
        now="They have not spoken for nine days, the longest ever.",
        angles={
            N.VENTING: "{name} needs to vent about the migraine text and the photos without hearing that "
            "friendships go through phases.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand why Steph lied instead of just saying {she} had "
            "another plan.",
            N.VALIDATION: "{name} is sure being hurt is fair and wants to hear that {sub} is not 'keeping "
            "score'.",
            N.EMPATHY: "{name} needs someone to understand being let down by the person who has known {obj} "
            "longest.",
        },
        min_age=20,
        max_age=60,
    ),
    _e(
        "unpaid-loan",
        topic="the three thousand I lent Lewis",
        gist="I lent a friend three thousand and now {he} acts like it never happened",
        vague="a money thing with a friend",
        story="Last autumn {name}'s old friend Lewis was about to lose {his} flat, and {name} lent {him} "
        "three thousand from {pos} savings, to be paid back 'by the summer'. The summer came and went. Since "
        "then Lewis has been on a stag weekend in Prague and bought a new phone. When {name} raised it "
        "gently two months ago, Lewis said things were 'tight' and changed the subject.",
        feelings="{Sub} feels used and naive, and cross with {refl} for minding about money.",
        conflict="{Sub} needs the money back but does not want to lose a twenty-year friendship over it, and "
        "Lewis makes {obj} feel like the bad guy for asking.",
        tried="{Sub} has hinted twice and once sent {pos} bank details, which Lewis 'liked'.",
        now="{Sub} avoids group nights out where Lewis will be.",
        angles={
            N.ADVICE: "{name} wants a practical way to get the money back that does not blow up the "
            "friendship.",
            N.VALIDATION: "{name} is sure {sub} has every right to ask and wants to hear that {sub} is not "
            "being petty.",
            N.ANALYSIS: "{name} needs to weigh the money against the friendship, and what writing off either "
            "would mean.",
            N.VENTING: "{name} needs to rant about Prague and the new phone without hearing that money ruins "
            "friendships.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand how Lewis can act as if nothing is owed.",
        },
        excludes="student",
        min_age=30,
        max_age=55,
    ),
    _e(
        "left-off-trip",
        topic="my friends going to Barcelona without me",
        gist="my friends went to Barcelona without me and I found out from Instagram",
        vague="friend stuff",
        story="Last weekend {name} opened Instagram and saw five of {pos} closest friends on a rooftop in "
        "Barcelona, in a post captioned 'the OGs'. Nobody had mentioned the trip. It was planned in a group "
        "chat {name} is not in, set up, {sub} later learned, after a birthday dinner {sub} had missed for "
        "work. One friend, Kezia, messaged: 'didn't think it was your thing xx'.",
        feelings="{Sub} feels shut out, twelve years old again, and embarrassed to be this upset.",
        conflict="{Sub} wants to say something but fears looking needy, and part of {obj} wonders whether "
        "{sub} has been drifting away.",
        tried="{Sub} liked the post to seem fine and has not replied to Kezia.",
        now="{Sub} keeps looking at the photos and has muted all five friends.",
        angles={
            N.EMPATHY: "{name} needs someone to understand the sting of seeing {pos} closest friends on "
            "holiday without {obj}.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand why the friends left {obj} out, and what "
            "Kezia's message meant.",
            N.SELF_GROWTH: "{name} wants to look at whether {sub} has been drifting from the group and what "
            "{sub} wants to do about it.",
            N.VENTING: "{name} needs to let it all out, 'the OGs' included, without being told to message "
            "them.",
        },
        min_age=18,
        max_age=40,
    ),
    _e(
        "surprise-party-uncredited",
        topic="organising Ezra's surprise fortieth",
        gist="I spent three months organising my friend's surprise fortieth and someone else got thanked for "
        "it",
        vague="a party I helped with",
        story="For three months {name} secretly planned a surprise fortieth for {pos} friend Ezra: booked a "
        "barn in the countryside, tracked down two of Ezra's old school friends, made a slideshow of forty "
        "years of photos and collected money from thirty people. On the night Ezra cried at the slideshow, "
        "then in {his} speech thanked {his} wife for 'pulling it all together'. The wife did not correct "
        "{him}.",
        feelings="{Sub} feels invisible and petty for minding, and quietly proud of what {sub} built.",
        conflict="{Sub} doesn't want to spoil Ezra's happiness or look like {sub} is fishing, but the speech "
        "keeps replaying.",
        tried="{Sub} mentioned the slideshow in the group chat; someone replied 'it was all amazing!!'.",
        now="{Sub} is still sorting out the last refunds for the barn, alone.",
        angles={
            N.PRAISE: "{name} wants someone to recognise the barn, the old friends tracked down, the "
            "slideshow and three months of secret planning.",
            N.VENTING: "{name} needs to let out the frustration about the speech without being told it was "
            "Ezra's night.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand why Ezra's wife said nothing.",
            N.VALIDATION: "{name} is sure {sub} is entitled to some thanks and wants to hear that {sub} is "
            "not petty.",
        },
        min_age=30,
        max_age=52,
    ),
    _e(
        "called-out-joke",
        topic="calling out Kevin's joke at the dinner party",
        gist="I called out a friend's racist joke at dinner and now I'm the one being frozen out",
        vague="a dinner that went badly",
        story="Two Saturdays ago, at a dinner party hosted by {pos} friend Kevin, Kevin told a 'joke' about "
        "immigrants and the table laughed. {name} said quietly that it wasn't funny, and that Kevin's own "
        "neighbours would not find it funny either. The room went cold. Since then the group chat goes quiet "
        "whenever {name} posts, and Kevin's partner told a mutual friend that {name} 'ruined the night'.",
        feelings="{Sub} feels shaky and isolated, proud of {refl} one minute and doubting {refl} the next.",
        conflict="{Sub} still thinks {sub} was right, but may have lost a friendship group of ten years over "
        "one sentence.",
        tried="{Sub} messaged Kevin privately to explain; Kevin replied 'it was a joke, relax'.",
        now="{Sub} has not been invited to the next dinner.",
        angles={
            N.VALIDATION: "{name} is sure speaking up was right and wants to hear it without a 'but maybe "
            "the timing'.",
            N.PRAISE: "{name} wants someone to recognise that it took courage to say it at a table where "
            "everyone was laughing.",
            N.ANALYSIS: "{name} needs to think through whether there was a better way to do it, and what the "
            "group is worth to {obj}.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand why everyone laughed, and why nobody backed "
            "{obj} up.",
            N.EMPATHY: "{name} needs someone to understand how unsettling it is to be frozen out by people "
            "{sub} has known for ten years.",
        },
        min_age=24,
    ),
    _e(
        "fence-complaint",
        topic="the neighbour who reported me to the council over the fence",
        gist="my neighbour reported me to the council over the new fence, after years of being friendly",
        vague="neighbour stuff",
        story="In the spring {name} replaced the rotting fence between {pos} garden and next door, where Mr "
        "Pritchard has lived for twenty years. {Sub} paid for it, checked the height rules and asked Mr "
        "Pritchard first; {he} said 'do what you like'. Three weeks ago a letter arrived from the council: a "
        "complaint that the fence was six inches over the boundary. Mr Pritchard now looks away when they "
        "pass.",
        feelings="{Sub} feels stabbed in the back and watched in {pos} own home.",
        conflict="{Sub} is sure the fence stands where the old one did, but proving it means surveyors, "
        "money and living next to an enemy.",
        tried="{Sub} knocked on Mr Pritchard's door; {he} said it was 'out of {his} hands now'.",
        now="{Sub} checks the fence line every morning and has stopped using the garden.",
        angles={
            N.VALIDATION: "{name} is sure {sub} did everything properly and wants to hear that {sub} is in "
            "the right.",
            N.VENTING: "{name} needs to rant about Mr Pritchard and the letter without being told to keep "
            "the peace.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand why Mr Pritchard said 'do what you like' and "
            "then went to the council.",
            N.ADVICE: "{name} wants practical steps for dealing with the council and the boundary without a "
            "war.",
        },
        excludes="renter student sharer nogarden",
        min_age=30,
    ),
)
